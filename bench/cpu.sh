#!/usr/bin/env bash
# Server CPU time per request, read from /proc: steadier than requests/s on a shared machine.
# Starts `smsim` (release, or the binary given as SMSIM), loads one endpoint with smsim-bench, and
# prints the server's user+system CPU time divided by the requests answered, after a warm-up that
# fills the message store.
#   bash bench/cpu.sh [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-100000}
smsim=${SMSIM:-target/release/smsim}
bench=${BENCH:-target/release/smsim-bench}
if [[ -z "${SMSIM:-}" ]]; then cargo build --release --locked -q -p smsim -p smsim-bench; fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
addr=127.0.0.1:$port
SMSIM_LOG_FILTER=warn "$smsim" serve --listen "$addr" --seed 1 >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
for _ in $(seq 100); do curl -fs "http://$addr/__admin/health" >/dev/null && break; sleep 0.05; done
big='{"balance": 1000000000000}'
curl -H 'Content-Type: application/json' -fs -X PATCH -d "$big" "http://$addr/__admin/accounts/smsoffice/demo-key" >/dev/null
curl -H 'Content-Type: application/json' -fs -X PATCH -d "$big" "http://$addr/__admin/accounts/getsms/demo" >/dev/null
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

measure() { # label, count, load arguments...
  local label=$1 count=$2; shift 2
  local before after
  before=$(cpu)
  "$bench" --requests "$count" load --addr "$addr" "$@" >/dev/null
  after=$(cpu)
  awk -v l="$label" -v d=$((after - before)) -v t="$ticks" -v n="$count" \
    'BEGIN { printf "%-34s %6.1f µs server CPU per request\n", l, d / t / n * 1e6 }'
}

data='['
for i in 0 1 2 3 4 5 6 7 8 9; do data+="{\"phone\":\"99890123456$i\",\"text\":\"benchmark\"},"; done
data="${data%,}]"
form="login=demo&password=demo&nickname=GETSMS&data=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$data")"

# Warm-up: fill the message store (100,000 messages) so that growing it is not measured.
"$bench" --requests 12000 load --addr "$addr" --target /smsgateway/ --form "$form" >/dev/null
measure "smsoffice send" "$requests" \
  --target '/api/v2/send/?key=demo-key&destination=995577123456&sender=SMSOFFICE&content=benchmark'
measure "getsms send, 10 items" "$((requests / 4))" --target /smsgateway/ --form "$form"
