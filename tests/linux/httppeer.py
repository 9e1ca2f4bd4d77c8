#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The host side of the guest's integrity step: serves SIZE random bytes at GET /blob and answers
POST /upload with the sha256 and length of what it received ("HEX LEN"). The bytes are
pseudo-random from a fixed seed (a fresh nested host's kernel may not have the entropy yet to
answer getrandom) and hold no NUL: busybox wget posts its --post-file as a C string.

usage: httppeer.py ADDR PORT SIZE SHA_OUT READY_FLAG
SHA_OUT gets "HEX:LEN" of the blob; READY_FLAG is created once the server listens."""
import hashlib
import http.server
import random
import sys


def main(addr, port, size, sha_out, ready):
    blob = random.Random(13).randbytes(int(size)).replace(b"\0", b"\1")
    with open(sha_out, "w") as f:
        f.write("%s:%d\n" % (hashlib.sha256(blob).hexdigest(), len(blob)))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/blob":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(blob)))
            self.end_headers()
            self.wfile.write(blob)

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            h, got = hashlib.sha256(), 0
            while got < n:
                chunk = self.rfile.read(min(1 << 20, n - got))
                if not chunk:
                    break
                h.update(chunk)
                got += len(chunk)
            body = ("%s %d" % (h.hexdigest(), got)).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_):
            pass

    srv = http.server.HTTPServer((addr, int(port)), Handler)
    open(ready, "w").close()
    srv.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])
