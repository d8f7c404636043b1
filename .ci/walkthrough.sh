#!/usr/bin/env bash
# The README's curl walk-through (docs/walkthrough.sh) against a fresh `commonfund serve`,
# so the commands the README shows keep working. Always stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export COMMONFUND_DATABASE_URL="sqlite:///$work/walk.sqlite3"
.venv/bin/commonfund migrate
.venv/bin/commonfund serve --port "$port" > "$work/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break
    sleep 0.2
done
out=$(bash docs/walkthrough.sh "http://127.0.0.1:$port")
echo "$out"
# The flow must end as the README says: booked, then refused with H02 while suspended.
grep -q '"status":"booked"' <<< "$out"
grep -q '"rule":"H02"' <<< "$out"
grep -q '"balance":"5300.00"' <<< "$out"
grep -q '"status":"published","version":1' <<< "$out"
# The bank feed (issue #14): two lines match, the payment the books never show makes the difference.
grep -q '"statements":1,"lines":3,"matched":2' <<< "$out"
grep -q '"difference":"-600.00"' <<< "$out"
grep -q '{"status":404}' <<< "$out"
