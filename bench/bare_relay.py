"""A bare SMTP relay, the reference point for bench/relay_bench.py.

No spool, no scanning, no queue: handle_DATA forwards the message to the upstream with
smtplib (one connection per message, like aiosmtpd's Proxy handler and like mailscreen's
SmtpTransport) in the event loop's default thread pool, and answers 250 only once the
upstream has accepted it. It is what a relay costs when it does nothing but relay.

    python bench/bare_relay.py --port 2526 --upstream-port 2600

Runs until SIGTERM or SIGINT.
"""
from __future__ import annotations

import argparse
import asyncio
import signal
import smtplib
import threading

from aiosmtpd.controller import Controller


class ForwardingHandler:
    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)

    def forward(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> dict:
        with smtplib.SMTP(*self.upstream, timeout=60) as smtp:
            return smtp.sendmail(mail_from, rcpt_tos, data)

    async def handle_DATA(self, server, session, envelope):
        loop = asyncio.get_running_loop()
        try:
            refused = await loop.run_in_executor(
                None, self.forward, envelope.mail_from, list(envelope.rcpt_tos),
                envelope.original_content)
        except smtplib.SMTPResponseException as e:
            return f"{e.smtp_code} {e.smtp_error.decode('utf-8', 'replace')}"
        except (smtplib.SMTPException, OSError) as e:
            return f"451 4.4.1 Upstream unavailable: {type(e).__name__}"
        if refused:
            return "451 4.4.1 Some recipients refused upstream"
        return "250 2.0.0 OK: forwarded"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream-host", default="127.0.0.1")
    parser.add_argument("--upstream-port", type=int, required=True)
    args = parser.parse_args()

    handler = ForwardingHandler(args.upstream_host, args.upstream_port)
    controller = Controller(handler, hostname=args.host, port=args.port, decode_data=False,
                            ident="bare-relay", ready_timeout=10)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    controller.start()
    try:
        done.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
