"""Drives smsim from Python with the standard library only: send an SMS through smsoffice,
receive its delivery callback, move the simulator's clock, read the status, and see a fault.

Run against `smsim serve --clock manual` (SMSIM_URL overrides http://127.0.0.1:8800).
Exits 0 when every step answered as expected.
"""

import http.server
import json
import os
import sys
import threading
import urllib.parse
import urllib.request

BASE = os.environ.get("SMSIM_URL", "http://127.0.0.1:8800")


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    # Admin calls that change state say they are JSON, so that no web page can forge them.
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def send(destination, reference):
    query = urllib.parse.urlencode({
        "key": "demo-key", "destination": destination, "sender": "SMSOFFICE",
        "content": "Your code is 4821", "reference": reference,
    })
    return json.loads(call("GET", "/api/v2/send/?" + query))


def status(destination, reference):
    query = urllib.parse.urlencode({"key": "demo-key", "destination": destination, "reference": reference})
    return json.loads(call("GET", "/api/v2/getMessageStatus/?" + query))["Output"]["Status"]


class Receiver(http.server.BaseHTTPRequestHandler):
    """Answers smsoffice's callbacks with OK, as a real receiver must."""
    received = []

    def do_GET(self):
        Receiver.received.append(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args):
        pass


def main():
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    callback = f"http://127.0.0.1:{receiver.server_port}/sms-callback"
    call("POST", "/__admin/reset")
    call("PATCH", "/__admin/accounts/smsoffice/demo-key", {"callback_url": callback})

    reply = send("995555123456", "py-1")
    assert reply["ErrorCode"] == 0, reply
    assert status("995555123456", "py-1") == "Pending"
    call("POST", "/__admin/clock/advance", {"seconds": 2})
    assert status("995555123456", "py-1") == "Delivered"
    assert Receiver.received and Receiver.received[-1]["status"] == "Delivered", Receiver.received

    call("POST", "/__admin/faults", {"spec": "smsoffice.send=error:-100*1"})
    reply = send("995555123456", "py-2")
    assert reply["ErrorCode"] == -100, reply  # the "temporary delay" your client must handle
    assert send("995555123456", "py-3")["ErrorCode"] == 0
    print("python: sent, called back, delivered, and failed on purpose, as expected")
    receiver.shutdown()


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failed:
        print(f"python: unexpected answer: {failed}", file=sys.stderr)
        sys.exit(1)
