#!/usr/bin/env bash
# Fuzzes the admin API from its own OpenAPI document with schemathesis (PyPI), loopback only and
# bounded: every reply must be documented (status, content type, headers, body schema) and none
# may be a server error. Usage: .ci/fuzz-admin.sh path/to/smsim
set -euo pipefail
cd "$(dirname "$0")/.."
smsim=${1:-target/debug/smsim}

venv=target/fuzz-venv
if [[ ! -x $venv/bin/st ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis==4.32.5'
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
config=$(mktemp)
# A `wait` of `latest` that matches nothing holds the request: one second at most keeps the run short.
"$smsim" print-config | python3 -c '
import json, sys
config = json.load(sys.stdin)
config["limits"]["max_wait_seconds"] = 1
json.dump(config, sys.stdout)' >"$config"
"$smsim" serve --config "$config" --clock manual --listen "127.0.0.1:$port" >/dev/null 2>&1 &
smsim_pid=$!
trap 'kill "$smsim_pid" 2>/dev/null || true; rm -f "$config"' EXIT

# Messages of every provider, a delivery and a failed callback attempt, so the listings' replies
# are checked against the document with entries in them, not only empty.
python3 - "$port" <<'SEED'
import sys, time, json, urllib.request, urllib.parse
base = f"http://127.0.0.1:{sys.argv[1]}"
def call(path, data=None, method=None, json_body=None):
    headers = {}
    if json_body is not None:
        data, headers = json.dumps(json_body).encode(), {"Content-Type": "application/json"}
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    return urllib.request.urlopen(request, timeout=5).read()
for _ in range(100):
    try:
        call("/__admin/health"); break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("smsim did not start")
call("/__admin/accounts/smsoffice/demo-key", method="PATCH", json_body={"callback_url": "http://127.0.0.1:9/cb"})
call("/api/v2/send/?key=demo-key&destination=995555123456&sender=SMSOFFICE&content=Your%20code%20is%204821&reference=fuzz-1")
call("/api/v2/send/?key=demo-key&destination=995555120001&sender=SMSOFFICE&content=Hello&reference=fuzz-2")
call("/components/com_smsreseller/smsapi2.php?username=demo&password=demo&recipient=995599445448&message=code%20123456")
call("/smsgateway/", data=urllib.parse.urlencode({"login": "demo", "password": "demo", "nickname": "GETSMS",
     "data": json.dumps([{"phone": "998901234567", "text": "Code 9876"}])}).encode())
call("/__admin/clock/advance", json_body={"seconds": 5})
if not json.loads(call("/__admin/callbacks"))["callbacks"]:
    sys.exit("no callback attempt was made to check")
SEED

st=("$venv/bin/st" run "http://127.0.0.1:$port/__admin/openapi.json"
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
  -H 'X-Smsim: 1' --workers 1 --request-timeout 10 --max-examples 40 --seed 1
  # The event stream never ends; its replies are tested in the Rust suite.
  --exclude-path /__admin/events)
# Reads first, while the seeded entries are still there (a fuzzed reset clears them), then all.
"${st[@]}" --include-method GET
"${st[@]}"
