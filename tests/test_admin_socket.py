"""The relay's admin socket under a burst of admin commands: every request waits its turn
and gets an answer (the listen backlog was 5: the sixth "Resource temporarily unavailable").
A real ControlServer, store, spool and Unix socket."""
from __future__ import annotations

import json
import socket
import threading

from gateway.config import AdminSettings, Settings
from gateway.control import Control, ControlServer
from gateway.database.store import Store
from gateway.relay.spool import Spool


def test_forty_admin_requests_at_once_all_get_answers(tmp_path):
    settings = Settings(data_dir=str(tmp_path),
                        admin=AdminSettings(socket=str(tmp_path / "admin.sock")))
    store = Store(settings.db_url).create()
    server = ControlServer(settings.admin.socket,
                           Control(settings, store, Spool(tmp_path / "spool").create())).start()
    try:
        server._server.shutdown()  # the relay is busy: nobody accepts for a moment
        clients = []
        for _ in range(40):  # all connected and asking before the first is accepted
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(30)
            sock.connect(settings.admin.socket)
            sock.sendall(json.dumps({"op": "whoami", "args": {}}).encode() + b"\n")
            clients.append(sock)
        threading.Thread(target=server._server.serve_forever, daemon=True).start()
        for sock in clients:
            with sock, sock.makefile("rb") as f:
                assert json.loads(f.readline())["ok"] is True
    finally:
        server.stop()
        store.dispose()
