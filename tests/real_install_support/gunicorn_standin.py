"""A stand-in for Scandy's gunicorn on a native install, for scandyctl's tests.

Installed as `<root>/venv/bin/gunicorn` and started from the install root like the systemd
unit does (`gunicorn --bind 127.0.0.1:PORT --workers 2 app.wsgi:app`). It answers `/health`
like Scandy (`{"status": "healthy", "database": "connected"}`), rate-limits every route per
client IP like Flask-Limiter (moving window, 429 with Retry-After), and logs like Scandy:
each request line twice with the same timestamp, then the response, and a start-up entry
whose message continues on the next line.

`GET /__requests` (not limited, not logged) returns what it saw:
`{"health": [[unix_time, status], ...], "connections": N}`.
"""

import argparse
import datetime
import json
import os
import re
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
HITS = {}  # ip -> [unix times] for the rate limiter
SEEN = []  # [unix time, status] of /health
CONNECTIONS = [0]


def parse_limits(text):
    limits = []
    for part in re.split(r"[;,]", text):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\d+)\s*(?:per|/)\s*(\d+)?\s*(second|minute|hour|day)s?", part)
        if not m:
            raise SystemExit(f"bad limit {part!r}")
        count, mult, unit = int(m.group(1)), int(m.group(2) or 1), m.group(3)
        secs = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[unit] * mult
        limits.append((count, secs))
    return limits


def log_line(path, level, message):
    now = datetime.datetime.now()
    stamp = now.strftime("%Y-%m-%d %H:%M:%S,") + f"{now.microsecond // 1000:03d}"
    return f"{stamp} - {level} - {message}\n"


class Handler(BaseHTTPRequestHandler):
    server_version = "gunicorn"
    sys_version = ""

    def log_message(self, *args):
        pass

    def send_json(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/__requests":
            with LOCK:
                body = {"health": list(SEEN), "connections": CONNECTIONS[0]}
            return self.send_json(200, body)
        ip = self.client_address[0]
        now = time.time()
        with LOCK:
            hits = HITS.setdefault(ip, [])
            retry = None
            for count, secs in self.server.limits:
                inside = [t for t in hits if now - t < secs]
                if len(inside) >= count:
                    wait = int(inside[len(inside) - count] + secs - now) + 1
                    retry = max(retry or 0, wait)
            if retry is None:
                hits.append(now)
                status = 200
            else:
                status = 429
            if self.path == "/health":
                SEEN.append([now, status])
        url = f"http://{self.headers.get('Host', 'localhost')}{self.path}"
        request = log_line(self.server.log, "INFO", f"Request: GET {url} - IP: {ip}")
        response = log_line(self.server.log, "INFO", f"Response: {status} {'OK' if status == 200 else 'TOO MANY REQUESTS'} {status}")
        with open(self.server.log, "a") as log:
            log.write(request + request + response)
        if status == 429:
            data = b"<h1>Too Many Requests</h1><p>50 per 1 hour</p>"
            self.send_response(429)
            self.send_header("Retry-After", str(retry))
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif self.path == "/health":
            self.send_json(200, {"status": "healthy", "database": "connected"})
        else:
            self.send_json(404, {"error": "not found"})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def get_request(self):
        conn = super().get_request()
        with LOCK:
            CONNECTIONS[0] += 1
        return conn


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", required=True)
    parser.add_argument("--workers", default="2")
    parser.add_argument("--limit", default="200 per day; 50 per hour")
    parser.add_argument("--exhaust", action="store_true", help="the budget is already spent")
    parser.add_argument("app", nargs="?")
    args = parser.parse_args()
    host, port = args.bind.rsplit(":", 1)
    server = Server((host, int(port)), Handler)
    server.limits = parse_limits(args.limit)
    server.log = os.path.join(os.getcwd(), "app", "logs", "app.log")
    if args.exhaust:
        HITS["127.0.0.1"] = [time.time()] * max(c for c, _ in server.limits)
    with open(server.log, "a") as log:
        log.write(log_line(server.log, "INFO", ""))
        log.write("=== ANWENDUNGSSTART ===\n")
    server.serve_forever()


if __name__ == "__main__":
    main()
