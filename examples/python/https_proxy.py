"""An unmodified https client of smsoffice reaching smsim through its proxy setting.

The client below is written the way published smsoffice clients are: the document's
`https://smsoffice.ge/api/v2/send/` URL hard-coded, nothing about smsim in it. The test only sets
the environment: `https_proxy` points at smsim's plain listener (which answers `CONNECT
smsoffice.ge:443` as smsoffice over TLS), and the process trusts smsim's authority.

Run against `smsim serve --tls-listen 127.0.0.1:8443` (SMSIM_URL overrides
http://127.0.0.1:8800). Python standard library only.
"""

import json
import os
import ssl
import sys
import tempfile
import urllib.parse
import urllib.request

BASE = os.environ.get("SMSIM_URL", "http://127.0.0.1:8800")


def send_sms(key, destination, text):
    """The client under test: smsoffice's documented https URL, hard-coded."""
    query = urllib.parse.urlencode(
        {"key": key, "destination": destination, "sender": "SMSOFFICE", "content": text}
    )
    with urllib.request.urlopen(f"https://smsoffice.ge/api/v2/send/?{query}", timeout=10) as reply:
        return json.load(reply)


def main():
    # The test's set-up: trust smsim's authority, route https through smsim.
    with urllib.request.urlopen(f"{BASE}/__admin/tls/ca.pem", timeout=10) as reply:
        authority = reply.read().decode()
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as ca_file:
        ca_file.write(authority)
    os.environ["https_proxy"] = BASE
    context = ssl.create_default_context(cafile=ca_file.name)
    urllib.request.install_opener(
        urllib.request.build_opener(
            urllib.request.ProxyHandler(), urllib.request.HTTPSHandler(context=context)
        )
    )

    answer = send_sms("demo-key", "995555000901", "Your code is 731905")
    if answer.get("ErrorCode") != 0:
        sys.exit(f"send refused: {answer}")

    # smsim saw it come over https, to the host the client named.
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
        f"{BASE}/__admin/requests?order=newest&limit=1", timeout=10
    ) as reply:
        entry = json.load(reply)["requests"][0]
    if (entry["scheme"], entry["host"]) != ("https", "smsoffice.ge"):
        sys.exit(f"unexpected journal entry: {entry}")
    os.unlink(ca_file.name)
    print(answer["Message"])


if __name__ == "__main__":
    main()
