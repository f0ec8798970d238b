"""Command line of the fake Blip server: ``python -m blip_client.fake --port 8081 ...``.

Runs in the foreground, logs one line per request (method, path, status; never bodies) and
stops cleanly on SIGTERM or SIGINT.
"""

import argparse
import logging
import signal
import threading

log = logging.getLogger("blip_client.fake")


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command-line options."""
    parser = argparse.ArgumentParser(prog="python -m blip_client.fake",
                                     description="Local fake of the Blip HTTP API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--api-key", default="Key fake-key",
                        help="Authorization value the bot must send (default: %(default)s)")
    parser.add_argument("--bot-identity", default="radiomemory@msging.net")
    parser.add_argument("--bot-messages-url", help="bot webhook receiving messages")
    parser.add_argument("--bot-notifications-url", help="bot webhook receiving notifications")
    parser.add_argument("--bot-header", action="append", default=[], metavar="'NAME: VALUE'",
                        help="header sent on every push to the bot (repeatable)")
    parser.add_argument("--rate-limit", action="append", default=[], metavar="PATH=PER_SECOND",
                        help="e.g. /messages=50 (repeatable; default: no limits)")
    parser.add_argument("--no-auto-notify", action="store_true")
    parser.add_argument("--no-ticket-messages", action="store_true")
    parser.add_argument("--no-close-redirect", action="store_true")
    return parser.parse_args(argv)


def _pairs(values, separator, what) -> dict:
    pairs = {}
    for value in values:
        name, sep, rest = value.partition(separator)
        if not sep or not name.strip():
            raise SystemExit(f"invalid {what}: {value!r}")
        pairs[name.strip()] = rest.strip()
    return pairs


def main(argv=None, *, factory=None) -> int:
    """Run the fake server until SIGTERM/SIGINT."""
    if factory is None:
        from blip_client.fake import FakeBlip as factory
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    limits = {path: int(rate) for path, rate in _pairs(args.rate_limit, "=", "rate").items()}
    fake = factory(api_key=args.api_key, bot_identity=args.bot_identity,
                   bot_messages_url=args.bot_messages_url,
                   bot_notifications_url=args.bot_notifications_url,
                   bot_headers=_pairs(args.bot_header, ":", "header"),
                   auto_notify=not args.no_auto_notify,
                   emit_ticket_messages=not args.no_ticket_messages,
                   emit_close_redirect=not args.no_close_redirect, rate_limits=limits or None)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    log.info("fake Blip listening on %s", fake.start(host=args.host, port=args.port))
    while not stopping.wait(0.5):
        pass
    log.info("stopping fake Blip")
    fake.stop()
    return 0
