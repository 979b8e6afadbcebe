"""Reads the one-time code an app just sent, the way an end-to-end test of a sign-in does: the
app (here, this script) sends an SMS through getsms, and the test asks smsim for the newest
message to that number, waiting up to five seconds for it, and types in its `code`.

Run against `smsim serve` (SMSIM_URL overrides http://127.0.0.1:8800); prints the code.
"""

import json
import os
import sys
import threading
import urllib.parse
import urllib.request

BASE = os.environ.get("SMSIM_URL", "http://127.0.0.1:8800")
PHONE = "998901230077"


def latest_code(phone, since):
    """The code of the first message to `phone` after message id `since`, waiting up to 5 s."""
    query = urllib.parse.urlencode({"destination": phone, "since": since, "wait": "5s"})
    with urllib.request.urlopen(f"{BASE}/__admin/messages/latest?{query}", timeout=10) as reply:
        return json.load(reply)["code"]


def newest_id():
    """The newest message id so far (0 when there is none), so the test reads only what comes next."""
    try:
        with urllib.request.urlopen(f"{BASE}/__admin/messages/latest", timeout=10) as reply:
            return json.load(reply)["id"]
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return 0
        raise


def app_sends_code():
    """What the app under test does: a getsms send with a one-time code."""
    data = json.dumps([{"phone": PHONE, "text": "Tasdiqlash kodi: 730519"}])
    body = urllib.parse.urlencode({"login": "demo", "password": "demo", "data": data}).encode()
    urllib.request.urlopen(f"{BASE}/smsgateway/", data=body, timeout=10).read()


since = newest_id()
# The test waits while the app sends, as it would while a browser clicks "Send me a code".
threading.Timer(0.2, app_sends_code).start()
code = latest_code(PHONE, since)
print(code)
sys.exit(0 if code == "730519" else 1)
