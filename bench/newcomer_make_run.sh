#!/usr/bin/env bash
# usage: bench/newcomer_make_run.sh LABEL REV PORT: fresh clone at REV, `make run PORT=...`, seconds until /healthz answers
set -u
label=$1 rev=$2 port=$3
dir=$(mktemp -d /tmp/newcomer.XXXX)
cache=$(mktemp -d /tmp/pipcache.XXXX)
git clone -q /work/main "$dir/repo" && git -C "$dir/repo" checkout -q "$rev"
cd "$dir/repo"
start=$(date +%s.%N)
PIP_CACHE_DIR=$cache setsid make run PORT=$port > "$dir/make.log" 2>&1 &
pid=$!
result=timeout
while [ $(echo "$(date +%s.%N) - $start < 900" | bc) = 1 ]; do
  if curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; then
    result=$(echo "$(date +%s.%N) - $start" | bc); break
  fi
  kill -0 $pid 2>/dev/null || { result=failed; break; }
  sleep 0.5
done
kill -TERM -- -$pid 2>/dev/null; wait $pid 2>/dev/null
printed=$(grep -c "commonfund is serving" "$dir/make.log")
echo "$label $rev $result printed=$printed load=$(cut -d' ' -f1 /proc/loadavg) $(date +%H:%M:%S)" | tee -a /tmp/newcomer_make_run.txt
rm -rf "$cache"
[ "$result" = failed ] && tail -20 "$dir/make.log"
rm -rf "$dir"
