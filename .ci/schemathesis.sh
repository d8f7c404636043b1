#!/usr/bin/env bash
# Schemathesis against a live `commonfund serve` (issue #3 acceptance): a fresh SQLite store in a
# temp dir with the demo complex, tokens for the operator, the district regulator and the demo
# committee's member m1, and every operation of /openapi.json fuzzed with the token of the role
# that may call it, on the demo's real ids. Fails on any 5xx (not_a_server_error) and on any
# response that breaks its documented schema (response_schema_conformance). Bounded by
# --max-examples per operation and a time budget; the server is always stopped.
#
#   bash .ci/schemathesis.sh                       # the CI run
#   SCHEMATHESIS_MAX_TIME=600 SCHEMATHESIS_SEED=7 bash .ci/schemathesis.sh   # a longer hunt
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-25}
MAX_TIME=${SCHEMATHESIS_MAX_TIME:-60}  # seconds; fuzzing and stateful phases stop here
SEED=${SCHEMATHESIS_SEED:-20261126}
CHECKS=not_a_server_error,response_schema_conformance
REPORT_DIR=${SCHEMATHESIS_REPORT_DIR:-}  # keep the JUnit report and failures' reproductions here

work=$(mktemp -d)
server_pid=""

stop_server() {
    [ -n "$server_pid" ] || return 0
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -INT "$server_pid" 2>/dev/null || true
        local i
        for i in $(seq 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

cleanup() {
    local rc=$?
    stop_server
    if [ "$rc" -ne 0 ] && [ -f "$work/server.log" ]; then
        # The server's own account of each failure: its tracebacks, else the end of its log.
        if grep -q Traceback "$work/server.log"; then
            echo "--- server tracebacks (first 200 lines)" >&2
            grep -v -E '^INFO: +127\.0\.0\.1:' "$work/server.log" | sed -n '/Traceback\|unhandled/,$p' | head -n 200 >&2
        else
            echo "--- last lines of the server log" >&2
            tail -n 40 "$work/server.log" >&2
        fi
        [ -z "$REPORT_DIR" ] || cp "$work/server.log" "$REPORT_DIR/server.log"
    fi
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

export COMMONFUND_DATABASE_URL="sqlite:///$work/commonfund.sqlite3"
"$BIN/commonfund" migrate
"$BIN/commonfund" demo >"$work/demo.json"

field() {  # field EXPRESSION: a value from the demo's summary, e.g. field '["complex"]["id"]'
    "$BIN/python" -c "import json, sys; print(json.load(open(sys.argv[1]))$1)" "$work/demo.json"
}
complex_id=$(field '["complex"]["id"]')
committee_id=$(field '["committee_id"]')
account_id=$(field '["account_id"]')
resolution_id=$(field '["resolutions"][0]')
project_id=$(field '["maintenance_fund"]["project_id"]')
unit_ledger=$(field '["maintenance_fund"]["unit_ledger"]')

token() { "$BIN/commonfund" token issue --label schemathesis "$@" | tail -n 1; }
operator=$(token --role operator)
regulator=$(token --role regulator --jurisdiction 370202)
committee=$(token --role committee --complex "$complex_id" --member m1)

port=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$BIN/commonfund" serve --host 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!

"$BIN/python" - "$base/readyz" <<'EOF'
import sys, time, urllib.request
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=2) as r:  # noqa: S310 - our loopback server
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit("the server did not become ready within 60 s")
EOF

# Each operation gets the token of a role allowed to call it (spec/api.md); path ids are the
# demo's, so writes reach the ledger instead of stopping at 404. The filters do not overlap.
cat >"$work/schemathesis.toml" <<EOF
[parameters]
"path.complex_id" = "$complex_id"
"path.committee_id" = "$committee_id"
"path.account_id" = "$account_id"
"path.resolution_id" = "$resolution_id"
"path.project_id" = "$project_id"

[[operations]]
include-path-regex = '^/v1/admin/|^/v1/complexes(/\{complex_id\}(/units)?)?$'
headers = { Authorization = "Bearer $operator" }

[[operations]]
include-path-regex = '/suspension$|/filing$|^/v1/complexes/\{complex_id\}/committees$|/maintenance-fund/interest$'
headers = { Authorization = "Bearer $regulator" }

[[operations]]
include-path-regex = '/maintenance-ledger$'
headers = { Authorization = "Bearer $regulator" }
parameters = { "path.unit_id" = "$unit_ledger" }

[[operations]]
include-path-regex = '^/v1/'
exclude-path-regex = '^/v1/admin/|^/v1/complexes(/\{complex_id\}(/units)?)?$|/suspension$|/filing$|^/v1/complexes/\{complex_id\}/committees$|/maintenance-ledger$|/maintenance-fund/interest$'
headers = { Authorization = "Bearer $committee" }
EOF

report=()
if [ -n "$REPORT_DIR" ]; then
    mkdir -p "$REPORT_DIR"
    report=(--report junit,pytest --report-dir "$REPORT_DIR")
fi

echo "schemathesis against $base (demo complex $complex_id): checks $CHECKS," \
    "max $MAX_EXAMPLES examples per operation, max ${MAX_TIME}s, seed $SEED"
"$BIN/schemathesis" --config-file "$work/schemathesis.toml" run "$base/openapi.json" \
    --checks "$CHECKS" \
    --max-examples "$MAX_EXAMPLES" \
    --max-time "$MAX_TIME" \
    --seed "$SEED" \
    --workers 1 \
    --request-timeout 30 \
    --generation-database none \
    --no-color \
    "${report[@]}"
