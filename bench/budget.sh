#!/usr/bin/env bash
# The hot paths' instruction budgets: user-space instructions per request counted by callgrind
# (bench/instructions.sh, the clock standing still and request lines over their limit, as under
# a load test), each held to its budget below. Counts repeat to within a percent or two between
# builds of the same code, where timings on a shared machine move by ten, so this can fail a
# change that makes a hot path slower without failing at random. CI runs it.
#   bash bench/budget.sh     # builds release; SMSIM= and BENCH= measure other binaries
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${SMSIM:-}" ]]; then
  cargo build --release --locked -q -p smsim -p smsim-bench
  export SMSIM=target/release/smsim BENCH=target/release/smsim-bench
fi
export SMSIM_ARGS='--clock manual --log-lines-per-second 1'

data='['
for i in 0 1 2 3 4 5 6 7 8 9; do data+="{\"phone\":\"99890123456$i\",\"text\":\"benchmark\"},"; done
data="${data%,}]"
getsms_form="login=demo&password=demo&nickname=GETSMS&data=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$data")"

# label | budget | target | form body (a POST when given). A budget is about 5% above the most
# the endpoint counted in the builds measured when it was set (see bench/README.md, "Instruction
# budgets"): room for two builds' different layout (up to 2.5%), not for a slower path (a
# request line written for every send adds 8%).
budgets=(
  "smsoffice send|20300|/api/v2/send/?key=demo-key&destination=995577123456&sender=SMSOFFICE&content=benchmark|"
  "smsco send|23600|/components/com_smsreseller/smsapi2.php?username=demo&password=demo&recipient=995555123456&message=benchmark|"
  "getsms send, 10 items|126500|/smsgateway/|$getsms_form"
  "smsoffice getBalance|15200|/api/getBalance?key=demo-key|"
)

failed=0
printf '%-24s %12s %8s\n' endpoint instructions budget
for line in "${budgets[@]}"; do
  IFS='|' read -r label budget target form <<<"$line"
  counted=$(TARGET=$target FORM=$form bash bench/instructions.sh 4000 | awk '{print $1}')
  verdict=ok
  if (( counted > budget )); then verdict="OVER BUDGET"; failed=1; fi
  printf '%-24s %12d %8d  %s\n' "$label" "$counted" "$budget" "$verdict"
done
exit "$failed"
