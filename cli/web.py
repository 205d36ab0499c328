"""`mailscreen web`: the review console (gateway/web), served by uvicorn."""
from __future__ import annotations

import logging

import uvicorn

from cli.common import ConfigOption, settings_or_exit
from gateway.web.app import create_app


def web(config=ConfigOption) -> None:
    """Serve the review console on web.host:web.port (loopback: put a reverse proxy with
    TLS in front). It reads and decides through the running relay's admin socket."""
    settings = settings_or_exit(config)
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # no access log: query strings carry filters (a sender's address); the console logs
    # logins and decisions itself, never a subject or any evidence
    uvicorn.run(create_app(settings), host=settings.web.host, port=settings.web.port,
                access_log=False, server_header=False, proxy_headers=True,
                forwarded_allow_ips="127.0.0.1", log_level=settings.log_level.lower())
