"""smsim as a Testcontainers service from Python: start the image, wait for its health check,
send an SMS through smsoffice, and read the message and its code back through the admin API.

    pip install testcontainers            # in a virtual environment
    docker build -t smsim .               # from the repository's root
    python examples/testcontainers/test_smsim.py

SMSIM_IMAGE names another image (default `smsim`). Exits 0 when every step answered as expected.
"""

import json
import os
import sys
import time
import urllib.parse
import urllib.request

import docker
from testcontainers.core.container import DockerContainer

IMAGE = os.environ.get("SMSIM_IMAGE", "smsim")


def wait_healthy(container, seconds=30):
    """Waits for the image's own HEALTHCHECK (`smsim health`) to pass."""
    client = docker.from_env()
    deadline = time.time() + seconds
    while time.time() < deadline:
        state = client.api.inspect_container(container.get_wrapped_container().id)["State"]
        if state.get("Health", {}).get("Status") == "healthy":
            return
        time.sleep(0.5)
    sys.exit("smsim never became healthy")


def get(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as reply:
        return reply.read().decode()


with DockerContainer(IMAGE).with_exposed_ports(8800) as smsim:
    wait_healthy(smsim)
    base = f"http://{smsim.get_container_host_ip()}:{smsim.get_exposed_port(8800)}"
    query = urllib.parse.urlencode({
        "key": "demo-key", "destination": "995577123456", "sender": "SMSOFFICE",
        "content": "Your code is 4821",
    })
    sent = json.loads(get(base, f"/api/v2/send/?{query}"))
    assert sent["ErrorCode"] == 0, sent
    message = json.loads(get(base, "/__admin/messages/latest?destination=995577123456&wait=5s"))
    assert message["code"] == "4821", message
    print(f"testcontainers: sent through {base} and read back code {message['code']}")
