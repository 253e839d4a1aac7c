#!/usr/bin/env python3
"""A small web service: GET /NAME answers JSON made from a YAML document (parsed by libyaml
through python3-yaml's C extension). Run as a program, it serves on 127.0.0.1:8080, fetches
its own page over loopback, prints it and stops."""
import http.server
import json
import threading
import urllib.request

import yaml

DOC = "service: distill\nitems: [1, 2, 3]\n"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        doc = yaml.load(DOC, Loader=yaml.CSafeLoader)
        body = json.dumps({"path": self.path, "doc": doc, "libyaml": yaml.__with_libyaml__},
                          sort_keys=True).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 8080), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
with urllib.request.urlopen("http://127.0.0.1:8080/hello") as r:
    print(r.status, r.read().decode())
server.shutdown()
