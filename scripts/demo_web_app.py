"""A tiny web application that signs users in with a push to their phone, through Recognize.

It plays the tenant's web backend in the README's web-app walkthrough, using the official
``authsignal`` SDK unchanged: sign in → track ``signIn`` → show the number the user must enter
in the app → wait (the page polls) until the action is approved → validate once → signed in.

    .venv/bin/python scripts/demo_web_app.py      # then open http://127.0.0.1:8001

Reads the demo tenant's key from var/demo-tenant.json (written by ``make run``).
"""

import html
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

from authsignal.client import AuthsignalClient

ROOT = Path(__file__).resolve().parents[1]
SERVER = os.environ.get("RECOGNIZE_SERVER", "http://127.0.0.1:8000")
PORT = int(os.environ.get("DEMO_PORT", "8001"))
ACTION = "signIn"

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Demo shop</title>
<style>body{{font:16px system-ui;max-width:30rem;margin:3rem auto;padding:0 1rem}}
.number{{font-size:3rem;font-weight:700;letter-spacing:.2em}}</style></head>
<body><h1>Demo shop</h1>{body}</body></html>"""


def _client() -> AuthsignalClient:
    credentials = json.loads((ROOT / "var" / "demo-tenant.json").read_text())
    return AuthsignalClient(api_secret_key=credentials["secretKey"], api_url=f"{SERVER}/v1")


class DemoApp(BaseHTTPRequestHandler):
    client = None
    #: Action tokens by idempotency key: a token stays on the server, never in a URL.
    tokens: dict[str, str] = {}

    def _send(self, status: int, body: str, content_type: str = "text/html") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/status":
            return self._status(query)
        if url.path == "/wait":
            return self._wait(query)
        form = (
            '<form method="post" action="/sign-in"><label>User id '
            '<input name="user" value="alice"></label> <button>Sign in</button></form>'
        )
        return self._send(200, PAGE.format(body=form))

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        user = form.get("user", "alice")[:100]
        context = {
            "userAgent": self.headers.get("User-Agent", ""),
            "ipAddress": self.client_address[0],
        }
        tracked = self.client.track(user, ACTION, context)
        if tracked["state"] == "ALLOW":
            return self._send(200, PAGE.format(body=f"<p>Signed in as {html.escape(user)}.</p>"))
        if tracked["state"] != "CHALLENGE_REQUIRED":
            return self._send(403, PAGE.format(body=f"<p>Refused: {tracked['state']}.</p>"))
        self.tokens[tracked["idempotency_key"]] = tracked["token"]
        query = urlencode(
            {
                "user": user,
                "key": tracked["idempotency_key"],
                "number": tracked.get("push_verification_code", ""),
            }
        )
        self.send_response(303)
        self.send_header("Location", f"/wait?{query}")
        self.end_headers()

    def _wait(self, query: dict) -> None:
        number = html.escape(query.get("number", ""))
        prompt = (
            f'<p>Open the app on your phone and enter</p><p class="number">{number}</p>'
            if number
            else "<p>Approve the request on your phone.</p>"
        )
        script = (
            "<p id=state>Waiting…</p><script>const q=location.search;"
            "(async function poll(){const r=await (await fetch('/status'+q)).json();"
            "if(r.done){document.getElementById('state').textContent=r.message;return}"
            "setTimeout(poll,1000)})()</script>"
        )
        return self._send(200, PAGE.format(body=prompt + script))

    def _status(self, query: dict) -> None:
        action = self.client.get_action(query["user"], ACTION, query["key"])
        state = action["state"]
        if state == "CHALLENGE_SUCCEEDED":
            token = self.tokens.pop(query["key"], "")
            valid = bool(token) and self.client.validate_challenge({"token": token})["is_valid"]
            message = "Signed in." if valid else "This approval was already used."
            body = {"done": True, "message": message}
        elif state == "CHALLENGE_FAILED":
            body = {"done": True, "message": "Refused on the phone (\u201cthis wasn't me\u201d)."}
        else:
            body = {"done": False}
        return self._send(200, json.dumps(body), "application/json")

    def log_message(self, *args):
        pass


def main() -> int:
    try:
        DemoApp.client = _client()
    except FileNotFoundError:
        print("var/demo-tenant.json is missing: run `make run` first", file=sys.stderr)
        return 1
    print(f"Demo web app on http://127.0.0.1:{PORT} (Recognize at {SERVER})")
    ThreadingHTTPServer(("127.0.0.1", PORT), DemoApp).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
