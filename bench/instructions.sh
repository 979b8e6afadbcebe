#!/usr/bin/env bash
# User-space instructions per request, counted by valgrind's callgrind: stable on a shared, noisy
# machine where timings are not. Runs smsim under callgrind twice, once answering N requests and
# once 2N, and prints the difference divided by N, so start-up and shutdown cancel out.
#   bash bench/instructions.sh [N]          # default 2000; SMSIM=path measures another binary
#   TARGET=/path?query bash bench/instructions.sh   # another GET endpoint (default: accepted send)
#   FORM=body TARGET=/smsgateway/ bash bench/instructions.sh  # a form POST
#   SMSIM_ARGS='--log json' bash bench/instructions.sh        # extra flags for `smsim serve`
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
smsim=${SMSIM:-target/release/smsim}
bench=${BENCH:-target/release/smsim-bench}
target=${TARGET:-/api/v2/send/?key=demo-key&destination=995577123456&sender=SMSOFFICE&content=benchmark}
if [[ -z "${SMSIM:-}" ]]; then cargo build --release --locked -q -p smsim -p smsim-bench; fi
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

count() { # requests -> total instructions of one run
  local requests=$1
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # shellcheck disable=SC2086
  # One runtime worker: idle workers parking and waking make counts wander by a percent.
  TOKIO_WORKER_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$out/cg.$requests" \
    "$smsim" serve --listen "127.0.0.1:$port" --seed 1 ${SMSIM_ARGS:-} >/dev/null 2>"$out/log.$requests" &
  local pid=$!
  for _ in $(seq 600); do
    curl -fs "http://127.0.0.1:$port/__admin/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fs -X PATCH -H 'Content-Type: application/json' -d '{"balance": 1000000000000}' \
    "http://127.0.0.1:$port/__admin/accounts/smsoffice/demo-key" >/dev/null
  if [[ -n "${FORM:-}" ]]; then
    "$bench" --requests "$requests" load --addr "127.0.0.1:$port" --target "$target" --form "$FORM" >/dev/null
  else
    "$bench" --requests "$requests" load --addr "127.0.0.1:$port" --target "$target" >/dev/null
  fi
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  awk '/^summary:/ {print $2}' "$out/cg.$requests"
}

one=$(count "$n")
two=$(count $((2 * n)))
awk -v a="$one" -v b="$two" -v n="$n" -v t="$target" \
  'BEGIN { printf "%d user-space instructions per request (%s)\n", (b - a) / n, t }'
