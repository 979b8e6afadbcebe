#!/usr/bin/env bash
# User-space instructions per request, counted by valgrind's callgrind: stable on a shared, noisy
# machine where timings are not. Runs smsim under callgrind twice, once answering N requests and
# once 2N, and prints the difference divided by N, so start-up and shutdown cancel out.
#   bash bench/instructions.sh [N]          # default 2000; SMSIM=path measures another binary
#   TARGET=/path?query bash bench/instructions.sh   # another GET endpoint (default: accepted send)
#   FORM=body TARGET=/smsgateway/ bash bench/instructions.sh  # a form POST
#   SMSIM_ARGS='--log json' bash bench/instructions.sh        # extra flags for `smsim serve`
#   IDLE_LISTENERS=2000 bash bench/instructions.sh   # with that many /__admin/events listeners
#     connected first that never read (4 KB receive buffers, so the first sends fill them)
# The deliveries (two seconds after each send by default) that fall due within a run depend on its
# pace, which moves a count by a few hundred; for comparing two builds, keep them out of it with
# a clock that stands still (the count then repeats to within ten instructions):
#   SMSIM_ARGS='--clock manual' bash bench/instructions.sh 4000
# Request log lines past --log-lines-per-second (1,000) are only counted, and under callgrind a run
# is slow enough that most are written: '--log-lines-per-second 1' among SMSIM_ARGS counts a load
# test's cost, '--log-lines-per-second 0' a line for every send.
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
idle=${IDLE_LISTENERS:-0}
config_flags=()
if (( idle > 0 )); then
  # Room for every listener, kept until it leaves (the default would cut idle ones off). Edited
  # from print-config, not given as --config-patch: $SMSIM may be a binary from before that flag.
  "$smsim" print-config | python3 -c '
import json, sys
config = json.load(sys.stdin)
config["limits"]["max_event_listeners"] = 4096
config["limits"]["event_listener_stuck_seconds"] = 3600
json.dump(config, sys.stdout)' >"$out/config.json"
  config_flags=(--config "$out/config.json")
fi

# Opens $2 event streams on port $1 that read their response head and nothing more, says
# "ready", and holds them until killed.
hold_idle_listeners() {
  python3 - "$1" "$2" <<'PY'
import socket, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
held = []
for _ in range(count):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /__admin/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
    held.append(s)
for s in held:
    if not s.recv(12).startswith(b"HTTP/1.1 200"):
        sys.exit("an event stream was refused")
print("ready", flush=True)
time.sleep(86400)
PY
}

count() { # requests -> total instructions of one run
  local requests=$1
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # shellcheck disable=SC2086
  # One runtime worker: idle workers parking and waking make counts wander by a percent.
  TOKIO_WORKER_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$out/cg.$requests" \
    "$smsim" serve --listen "127.0.0.1:$port" --seed 1 "${config_flags[@]}" ${SMSIM_ARGS:-} \
    >/dev/null 2>"$out/log.$requests" &
  local pid=$!
  for _ in $(seq 600); do
    curl -fs "http://127.0.0.1:$port/__admin/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  # Balances no run can spend, so every request measured is an accepted send.
  for account in smsoffice/demo-key smsco/demo getsms/demo; do
    curl -fs -X PATCH -H 'Content-Type: application/json' -d '{"balance": 1000000000000}' \
      "http://127.0.0.1:$port/__admin/accounts/$account" >/dev/null
  done
  local holder=
  if (( idle > 0 )); then
    hold_idle_listeners "$port" "$idle" >"$out/held.$requests" &
    holder=$!
    for _ in $(seq 1200); do
      grep -q ready "$out/held.$requests" 2>/dev/null && break
      kill -0 "$holder" 2>/dev/null || { echo "the listeners could not connect" >&2; exit 1; }
      sleep 0.1
    done
  fi
  if [[ -n "${FORM:-}" ]]; then
    "$bench" --requests "$requests" load --addr "127.0.0.1:$port" --target "$target" --form "$FORM" >/dev/null
  else
    "$bench" --requests "$requests" load --addr "127.0.0.1:$port" --target "$target" >/dev/null
  fi
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  if [[ -n "$holder" ]]; then kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true; fi
  awk '/^summary:/ {print $2}' "$out/cg.$requests"
}

one=$(count "$n")
two=$(count $((2 * n)))
awk -v a="$one" -v b="$two" -v n="$n" -v t="$target" \
  -v idle="$idle" 'BEGIN { printf "%d user-space instructions per request (%s)%s\n", (b - a) / n, t,
    (idle > 0 ? sprintf(", %d idle event listeners", idle) : "") }'
