"""Replays a cassette's chat completion over HTTP on 127.0.0.1, for tests that run the real
`summarise` process, which cannot load a cassette itself (a SIGKILL test must kill a process).

    python tests/replay_server.py CASSETTE FOLDER

Answers every POST .../chat/completions with the cassette's first recorded chat completion and
counts the requests in FOLDER/calls (a file, since the tests' own process has no network), so a
test can assert how many model calls a run made. Binds 127.0.0.1 only, on a free port written
to FOLDER/port.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml


def recorded_answer(cassette: Path) -> bytes:
    interactions = yaml.safe_load(cassette.read_text(encoding="utf-8"))["interactions"]
    for i in interactions:
        if i["request"]["uri"].endswith("chat/completions") and i["response"]["status"]["code"] == 200:
            body = i["response"]["body"]["string"]
            return json.dumps(body["json"] if isinstance(body, dict) else json.loads(body)).encode()
    raise SystemExit(f"{cassette}: no successful chat completion recorded")


def main() -> None:
    answer = recorded_answer(Path(sys.argv[1]))
    folder = Path(sys.argv[2])
    calls = folder / "calls"
    calls.write_text("0", encoding="utf-8")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            with lock:
                calls.write_text(str(int(calls.read_text(encoding="utf-8")) + 1), encoding="utf-8")
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    (folder / "port.tmp").write_text(str(server.server_address[1]), encoding="utf-8")
    (folder / "port.tmp").replace(folder / "port")  # whole, or not yet there
    server.serve_forever()


if __name__ == "__main__":
    main()
