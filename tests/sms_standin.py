"""A local stand-in for Twilio's Messages API, speaking its wire format.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP Basic auth (account SID and
auth token) and a form-encoded body (``To``, ``From``, ``Body``); answers 201 with a message
resource, 401 for bad credentials, 400 for a missing field, or the status it is told to fail
with.
"""

import base64
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"


class TwilioStandIn:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.fail_with: int | None = None
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                expected_path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
                auth = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if self.path != expected_path:
                    return self._answer(404, {"code": 20404, "message": "Not found"})
                if self.headers.get("Authorization") != f"Basic {auth}":
                    return self._answer(401, {"code": 20003, "message": "Authenticate"})
                if standin.fail_with:
                    return self._answer(standin.fail_with, {"code": 20500, "message": "Error"})
                if not all(form.get(k) for k in ("To", "From", "Body")):
                    return self._answer(400, {"code": 21604, "message": "Missing parameter"})
                standin.messages.append(form)
                sid = "SM" + uuid.uuid4().hex
                return self._answer(201, {"sid": sid, "status": "queued", **form})

            def _answer(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
