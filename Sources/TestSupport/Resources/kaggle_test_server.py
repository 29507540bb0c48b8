#!/usr/bin/env python3
"""A stand-in for Kaggle's public dataset API, for the DownloadTests (standard library only).

Usage: kaggle_test_server.py CONFIG_JSON PORT_FILE REQUEST_LOG LIFETIME_SECONDS

Binds 127.0.0.1 on a free port and writes the port to PORT_FILE. CONFIG_JSON is re-read on every
request, so a test can change the server's behaviour between calls:
  datasets        {"owner/name": {"current": N, "versions": {"N": "/path/to.zip"}}}
  auth            "user:key" -> /api/ requests without that basic auth get 401, with other auth 403
  ranges          true -> honour "Range: bytes=a-" with 206 (http.server itself never does)
  redirect        true -> downloads answer 302 to http://localhost:PORT/storage/... (another host)
  truncate        send only this many body bytes, then drop the connection ...
  truncate_times  ... this many times (decremented in CONFIG_JSON)
  stall_after, stall_seconds   send stall_after bytes, then go silent
  fake_length     announce this Content-Length instead of the real one
  view_status     answer the view endpoint with this status instead
  fail_status, fail_times   answer downloads with this status (e.g. 503) this many times
Every request is appended to REQUEST_LOG as one JSON line (method, path, query, host, auth, range).
The server exits after LIFETIME_SECONDS or when its parent process goes away.
"""
import json
import os
import sys
import threading
import time
import base64
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

CONFIG, PORT_FILE, LOG, LIFETIME = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
LOCK = threading.Lock()


def load_config():
    with open(CONFIG) as f:
        return json.load(f)


def take(value_key, count_key):
    """Returns config[value_key] while config[count_key] > 0, decrementing the count (persisted)."""
    with LOCK:
        cfg = load_config()
        if cfg.get(value_key) is None or cfg.get(count_key, 0) <= 0:
            return None
        cfg[count_key] -= 1
        tmp = CONFIG + ".tmp"
        with open(tmp, "w") as f:
            json.dump(cfg, f)
        os.replace(tmp, CONFIG)
        return cfg[value_key]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def record(self, parts):
        entry = {
            "method": self.command, "path": parts.path, "query": parts.query,
            "host": self.headers.get("Host"), "auth": self.headers.get("Authorization"),
            "range": self.headers.get("Range"), "accept_encoding": self.headers.get("Accept-Encoding"),
        }
        with LOCK, open(LOG, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def reply(self, status, body=b"", ctype="application/json", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = urlsplit(self.path)
        self.record(parts)
        cfg = load_config()
        segs = [s for s in parts.path.split("/") if s]
        if segs[:2] == ["api", "v1"]:
            want = cfg.get("auth")
            if want:
                got = self.headers.get("Authorization")
                if not got:
                    return self.reply(401, b'{"code":401,"message":"Unauthenticated"}')
                if got != "Basic " + base64.b64encode(want.encode()).decode():
                    return self.reply(403, b'{"code":403,"message":"Permission denied"}')
            if segs[2:4] == ["datasets", "view"] and len(segs) == 6:
                return self.view(cfg, segs[4] + "/" + segs[5])
            if segs[2:4] == ["datasets", "download"] and len(segs) == 6:
                return self.download(cfg, segs[4] + "/" + segs[5], parse_qs(parts.query))
        if segs[:1] == ["storage"] and len(segs) == 4:
            return self.serve_zip(cfg, segs[1] + "/" + segs[2], segs[3])
        return self.reply(404, b'{"code":404,"message":"Not found"}')

    def view(self, cfg, slug):
        if cfg.get("view_status"):
            return self.reply(cfg["view_status"], b'{"message":"overridden"}')
        ds = cfg.get("datasets", {}).get(slug)
        if ds is None:
            return self.reply(404, b'{"code":404,"message":"Not found"}')
        body = {"ref": slug, "currentVersionNumber": ds["current"], "title": slug}
        return self.reply(200, json.dumps(body).encode())

    def download(self, cfg, slug, query):
        ds = cfg.get("datasets", {}).get(slug)
        version = query.get("datasetVersionNumber", [None])[0]
        if ds is None:
            return self.reply(404, b'{"code":404,"message":"Not found"}')
        version = version or str(ds["current"])
        failing = take("fail_status", "fail_times")
        if failing:
            return self.reply(failing, b'{"code":%d,"message":"try later"}' % failing)
        if version not in ds["versions"]:
            return self.reply(404, b'{"code":404,"message":"Version not found"}')
        if cfg.get("redirect"):
            port = self.server.server_address[1]
            target = "http://localhost:%d/storage/%s/%s" % (port, slug, version)
            return self.reply(302, b"", "text/plain", {"Location": target})
        return self.serve_zip(cfg, slug, version)

    def serve_zip(self, cfg, slug, version):
        ds = cfg.get("datasets", {}).get(slug)
        if ds is None or version not in ds["versions"]:
            return self.reply(404, b"no such object", "text/plain")
        with open(ds["versions"][version], "rb") as f:
            data = f.read()
        size, start = len(data), 0
        headers = {"Content-Disposition": "attachment; filename=%s.zip" % slug.split("/")[1]}
        status = 200
        rng = self.headers.get("Range")
        if cfg.get("ranges"):
            headers["Accept-Ranges"] = "bytes"
            if rng and rng.startswith("bytes=") and rng.endswith("-"):
                start = int(rng[6:-1])
                if start >= size:
                    return self.reply(416, b"", "text/plain", {"Content-Range": "bytes */%d" % size})
                status = 206
                headers["Content-Range"] = "bytes %d-%d/%d" % (start, size - 1, size)
        body = data[start:]
        self.send_response(status)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(cfg.get("fake_length") or len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        cut = take("truncate", "truncate_times")
        stall = cfg.get("stall_after")
        if cut is not None:
            body = body[:cut]
        if stall is not None:
            self.wfile.write(body[:stall])
            self.wfile.flush()
            time.sleep(cfg.get("stall_seconds", 5))
            body = body[stall:]
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return
        if cut is not None or cfg.get("fake_length"):
            self.close_connection = True
            try:
                import socket
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def watchdog(parent):
    deadline = time.time() + LIFETIME
    while time.time() < deadline and os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=watchdog, args=(os.getppid(),), daemon=True).start()
    tmp = PORT_FILE + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, PORT_FILE)
    server.serve_forever()


if __name__ == "__main__":
    main()
