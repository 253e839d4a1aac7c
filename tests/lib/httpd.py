#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# A local HTTP(S) server for the download tests: serves DIR on 127.0.0.1 (the port the
# kernel picks is written to PORTFILE, atomically), with faults chosen by the URL's prefix.
#   httpd.py PORTFILE DIR [--tls CERT KEY]
# /X                 DIR/X, with Range (bytes=N- or N-M) answered 206
# /404/X             404
# /500/X             500, always
# /500-once/X        500 the first time this path is asked for, then /X
# /truncate/X        Content-Length of the whole, half the body, the connection closed; a
#                    Range request is served whole (so a resume succeeds)
# /truncate-always/X the same for a Range request too (half of what is asked)
# /norange/X         /X, Range ignored (200)
# /wrong/X           /X's length, other bytes
# /redirect-same/X   302 to /X
# /redirect-other/X  302 to http://localhost:PORT/X (the same server, another host name)
# /redirect-loop/X   302 to itself
# /stall/X           /X's headers and half its body, then nothing for 60 s (a server that
#                    hangs)
# /count             how many requests came before (not counting /count and /log)
# /log               one line per request: "PATH RANGE USER-AGENT" ("-" for a header not
#                    sent)
import http.server
import os
import ssl
import sys
import threading
import time

lock = threading.Lock()
count = 0
seen = {}
log = []


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "distill-test-httpd"

    def log_message(self, *args):
        pass

    def send_text(self, code, text, headers=()):
        body = text.encode()
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        global count
        path = self.path.split("?", 1)[0]
        rng = self.headers.get("Range")
        if path == "/count":
            with lock:
                return self.send_text(200, "%d\n" % count)
        if path == "/log":
            with lock:
                return self.send_text(200, "".join(l + "\n" for l in log))
        with lock:
            count += 1
            log.append("%s %s %s" % (path, rng or "-", self.headers.get("User-Agent") or "-"))
            nth = seen.get(path, 0)
            seen[path] = nth + 1
        parts = path.lstrip("/").split("/", 1)
        fault, rest = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])
        if fault == "404":
            return self.send_text(404, "not found\n")
        if fault == "500" or (fault == "500-once" and nth == 0):
            return self.send_text(500, "broken\n")
        if fault == "redirect-same":
            return self.send_text(302, "", [("Location", "/" + rest)])
        if fault == "redirect-other":
            port = self.server.server_address[1]
            return self.send_text(302, "", [("Location", "http://localhost:%d/%s" % (port, rest))])
        if fault == "redirect-loop":
            return self.send_text(302, "", [("Location", path)])
        if fault not in ("500-once", "truncate", "truncate-always", "norange", "wrong", "stall"):
            fault, rest = "", path.lstrip("/")
        full = os.path.join(self.server.root, rest)
        if ".." in rest.split("/") or not os.path.isfile(full):
            return self.send_text(404, "no such file\n")
        with open(full, "rb") as f:
            data = f.read()
        if fault == "wrong":
            data = bytes((b ^ 0x55) for b in data)
        start, end = 0, len(data)
        if rng and fault != "norange" and rng.startswith("bytes="):
            a, _, b = rng[6:].partition("-")
            start = int(a)
            end = min(int(b) + 1, len(data)) if b else len(data)
            if start >= len(data):
                return self.send_text(416, "", [("Content-Range", "bytes */%d" % len(data))])
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, len(data)))
        else:
            rng = None
            self.send_response(200)
        body = data[start:end]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if fault == "stall":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            time.sleep(60)
            return
        if fault == "truncate-always" or (fault == "truncate" and not rng):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


def main():
    if len(sys.argv) not in (3, 6) or (len(sys.argv) == 6 and sys.argv[3] != "--tls"):
        sys.exit("usage: httpd.py PORTFILE DIR [--tls CERT KEY]")
    portfile, root = sys.argv[1], sys.argv[2]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.root = root
    if len(sys.argv) == 6:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[4], sys.argv[5])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
