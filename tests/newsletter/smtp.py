"""A real SMTP server on localhost (aiosmtpd) that records what it accepts, and can refuse
chosen recipients or call back on each message (the crash test kills the sender from there)."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)

    def part(self, subtype: str) -> str:
        return self.message.get_body(preferencelist=(subtype,)).get_content()

    def links(self, pattern: str) -> list[str]:
        return re.findall(rf"https?://[^\s\"<>]*{pattern}[^\s\"<>]*", self.part("plain"))


class Recorder:
    def __init__(self):
        self.received: list[Received] = []
        self.refuse: dict[str, list[str]] = {}  # address -> RCPT replies, one used per attempt
        self.on_data = None  # called with the number of messages received so far
        self.lock = threading.Lock()
        self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        replies = self.refuse.get(address.lower())
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
            )
            count = len(self.received)
        if self.on_data is not None:
            self.on_data(count)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]

    def counts(self) -> Counter:
        return Counter(address for r in self.received for address in r.rcpt_tos)


class SmtpSink:
    def __init__(self):
        self.recorder = Recorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def mail_link(received, pattern: str, site: str) -> str:
    """The first link in a received mail's text whose URL contains `pattern`, on `site` (the
    live server), keeping its path."""
    url = re.search(rf"https?://\S*{pattern}\S*", received.part("plain")).group(0)
    return site + urlsplit(url).path
