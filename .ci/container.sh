#!/usr/bin/env bash
# The container image, proven offline: a statically linked binary built here, the Dockerfile's
# final stage built from it (BuildKit skips the Rust image, which cannot be pulled here), run with
# a published port until its health check passes, one SMS sent through each provider from the
# host, the Testcontainers recipes (Python, Node) run against the same image, then `docker stop`,
# which must end it cleanly within 5 s. Outside CI a machine without Docker skips this, saying so.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dockerd >/dev/null; then
  if [[ -z "${CI:-}" ]]; then
    echo "container: skipped (no Docker here; apt-get install docker.io to run it)"
    exit 0
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
# Debian's docker.io client builds with its own BuildKit; another client on the PATH may want a
# buildx plugin this machine cannot download.
docker() { if [[ -x /usr/bin/docker ]]; then /usr/bin/docker "$@"; else command docker "$@"; fi; }
if ! docker info >/dev/null 2>&1; then
  (dockerd >/tmp/smsim-dockerd.log 2>&1 &)
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "container: dockerd did not start"; tail -20 /tmp/smsim-dockerd.log; exit 1; }
fi

RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release --locked --target x86_64-unknown-linux-gnu -p smsim
binary=target/x86_64-unknown-linux-gnu/release/smsim
if ! ldd "$binary" 2>&1 | grep -qE "statically linked|not a dynamic executable"; then
  echo "container: $binary is not statically linked"; exit 1
fi
DOCKER_BUILDKIT=1 docker build -q --build-arg SOURCE=local -t smsim-ci . >/dev/null
size=$(docker image inspect smsim-ci --format '{{.Size}}')
echo "container: image of $((size / 1024 / 1024)) MB"
(( size <= 20 * 1024 * 1024 )) || { echo "container: the image is over 20 MB"; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
tls_port=$(free_port)
docker rm -f smsim-ci >/dev/null 2>&1 || true
# HTTPS on too, as docs/https.md shows it for a container.
docker run -d --name smsim-ci -p "127.0.0.1:$port:8800" -p "127.0.0.1:$tls_port:8443" \
  -e SMSIM_TLS_LISTEN=0.0.0.0:8443 \
  -e SMSIM_CONFIG_PATCH='{"getsms":{"allow_list":["0.0.0.0/0","::/0"]}}' smsim-ci >/dev/null
trap 'docker rm -f smsim-ci >/dev/null 2>&1 || true' EXIT
for _ in $(seq 60); do
  [[ "$(docker inspect --format '{{.State.Health.Status}}' smsim-ci)" == healthy ]] && break
  sleep 1
done
[[ "$(docker inspect --format '{{.State.Health.Status}}' smsim-ci)" == healthy ]] \
  || { echo "container: never healthy"; docker logs smsim-ci | tail -20; exit 1; }

python3 - "$port" "$tls_port" <<'SEND'
import json, ssl, sys, urllib.parse, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
def call(path, data=None, headers=None):
    request = urllib.request.Request(base + path, data=data, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return reply.read().decode()
# Requests from the host reach the container from Docker's bridge, not from loopback: the
# allow-list the container was started with (SMSIM_CONFIG_PATCH) lets them in.
assert json.loads(call("/__admin/getsms/allow-list"))["allow_list"] == ["0.0.0.0/0", "::/0"]
assert '"ErrorCode":0' in call("/api/v2/send/?key=demo-key&destination=995555123456&sender=SMSOFFICE&content=hi")
assert call("/components/com_smsreseller/smsapi2.php?username=demo&password=demo&recipient=995599445448&message=hi").startswith("OK ")
data = urllib.parse.urlencode({"login": "demo", "password": "demo", "nickname": "GETSMS",
                               "data": json.dumps([{"phone": "998901234567", "text": "hi"}])}).encode()
assert '"message_id"' in call("/smsgateway/", data)
# The same send over HTTPS, trusting the authority the container made at start.
authority = ssl.create_default_context(cadata=call("/__admin/tls/ca.pem"))
secure = f"https://127.0.0.1:{sys.argv[2]}/api/v2/send/?key=demo-key&destination=995555123456&sender=SMSOFFICE&content=hi"
with urllib.request.urlopen(secure, timeout=10, context=authority) as reply:
    assert '"ErrorCode":0' in reply.read().decode()
messages = json.loads(call("/__admin/messages"))
assert messages["count"] == 4, messages
print("container: one SMS through each provider, and one over https")
SEND

# The Testcontainers recipe, as a Python user runs it: its own container from the same image.
python3 -m venv target/tc-venv 2>/dev/null || {
  apt-get install -y -qq python3-venv >/dev/null && python3 -m venv target/tc-venv
}
target/tc-venv/bin/pip install -q testcontainers
TESTCONTAINERS_RYUK_DISABLED=true SMSIM_IMAGE=smsim-ci \
  target/tc-venv/bin/python examples/testcontainers/test_smsim.py
# And as a Node user runs it: npm install beside the recipe, then its test (node --test). Ryuk,
# Testcontainers' reaper, is an image from a registry this machine cannot reach.
(cd examples/testcontainers && npm install --no-audit --no-fund --no-package-lock --loglevel=error \
  && TESTCONTAINERS_RYUK_DISABLED=true SMSIM_IMAGE=smsim-ci npm test --silent)

# Beside the app under test, as the README's docker-compose.yml has it: its smsim service's
# environment, read from the README, on a network of its own under the service's name. Another
# container reaches it by that name (the image's own `smsim health`, run there); the admin API
# answers requests naming that host only because SMSIM_ALLOWED_HOSTS gives it (the first
# container, started without it, refuses them with 403 and says what to set); getsms takes a
# send from outside loopback because SMSIM_CONFIG_PATCH opens the allow-list.
network=smsim-ci-net
docker network rm "$network" >/dev/null 2>&1 || true
docker network create "$network" >/dev/null
trap 'docker rm -f smsim-ci smsim-ci-compose >/dev/null 2>&1 || true; docker network rm "$network" >/dev/null 2>&1 || true' EXIT
compose_env=$(mktemp)
python3 - README.md >"$compose_env" <<'README'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
block = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
service = re.search(r"^  smsim:\n(.*?)(?=^  \S)", block, re.S | re.M).group(1)
environment = re.search(r"^    environment:\n((?:^      .*\n)+)", service, re.M).group(1)
for line in environment.splitlines():
    key, value = line.strip().split(": ", 1)
    quoted = re.match(r"""^(['"])(.*?)\1""", value)
    print(f"{key}={quoted.group(2) if quoted else value.split(' #')[0].strip()}")
README
grep -q '^SMSIM_ALLOWED_HOSTS=smsim$' "$compose_env" \
  || { echo "container: the README's smsim service sets no SMSIM_ALLOWED_HOSTS=smsim:"; cat "$compose_env"; exit 1; }
compose_port=$(free_port)
docker run -d --name smsim-ci-compose --network "$network" --network-alias smsim \
  -p "127.0.0.1:$compose_port:8800" --env-file "$compose_env" smsim-ci >/dev/null
rm -f "$compose_env"
for _ in $(seq 60); do
  [[ "$(docker inspect --format '{{.State.Health.Status}}' smsim-ci-compose)" == healthy ]] && break
  sleep 1
done
docker run --rm --network "$network" smsim-ci health --url http://smsim:8800 \
  || { echo "container: not reached by its service name from another container"; exit 1; }
python3 - "$compose_port" "$port" <<'COMPOSE'
import json, sys, urllib.error, urllib.parse, urllib.request
def call(port, path, host, data=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()
compose, plain = sys.argv[1], sys.argv[2]
assert call(compose, "/__admin/health", "smsim:8800") == (200, '{"status":"ok"}')
status, body = call(plain, "/__admin/health", "smsim:8800")
assert status == 403 and "SMSIM_ALLOWED_HOSTS" in body, (status, body)
data = urllib.parse.urlencode({"login": "demo", "password": "demo", "nickname": "GETSMS",
                               "data": json.dumps([{"phone": "998901234567", "text": "hi"}])}).encode()
status, body = call(compose, "/smsgateway/", "smsim:8800", data)
assert status == 200 and '"message_id"' in body, (status, body)
print("container: as the README's compose service, reached and answered by its name")
COMPOSE
docker rm -f smsim-ci-compose >/dev/null

started=$(date +%s%N)
docker stop -t 10 smsim-ci >/dev/null
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
code=$(docker inspect --format '{{.State.ExitCode}}' smsim-ci)
echo "container: stopped in ${elapsed_ms} ms, exit code $code"
[[ "$code" == 0 ]] || { echo "container: exit code $code"; docker logs smsim-ci | tail -20; exit 1; }
(( elapsed_ms <= 5000 )) || { echo "container: took longer than 5 s to stop"; exit 1; }
