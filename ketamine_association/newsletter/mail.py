"""The newsletter's emails: every one multipart (text + HTML) with the recipient's own
List-Unsubscribe (RFC 2369: HTTPS URL and mailto) and List-Unsubscribe-Post (RFC 8058)."""

from __future__ import annotations

import binascii
import functools
import re
import secrets
from dataclasses import dataclass, field
from email.header import Header
from email.utils import formatdate, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse

from ketamine_association.articles.rendering import render_markdown
from ketamine_association.core.seo import absolute

from . import conf, tokens
from .models import Campaign, Subscriber

UNSUBSCRIBE_SLOT = "NEWSLETTER-UNSUBSCRIBE-URL"
PREFERENCES_SLOT = "NEWSLETTER-PREFERENCES-URL"
_RELATIVE = re.compile(r'(href|src)="/(?!/)')

SUBJECTS = {
    "confirm": "Please confirm your subscription",
    "already": "You are already subscribed",
    "welcome": "Welcome to the Ketamine Association newsletter",
}


@dataclass(frozen=True)
class Links:
    token: str
    unsubscribe: str
    preferences: str


@functools.lru_cache(maxsize=32)
def _link_parts(name: str, site_url: str, prefix: str, urlconf) -> tuple[str, str]:
    before, _, after = absolute(reverse(name, args=["TOKEN"])).partition("TOKEN")
    return before, after


def _link(name: str, token: str) -> str:
    """reverse() once per URL name; a campaign asks for two links a message."""
    before, after = _link_parts(name, settings.SITE_URL, get_script_prefix(), get_urlconf())
    return f"{before}{token}{after}"


def links_for(subscriber: Subscriber) -> Links:
    def token(purpose: str) -> str:
        return tokens.recipient_token(
            purpose=purpose, subscriber_id=subscriber.pk, key=subscriber.key
        )

    unsubscribe = token(tokens.UNSUBSCRIBE)
    return Links(
        token=unsubscribe,
        unsubscribe=_link("newsletter:unsubscribe", unsubscribe),
        preferences=_link("newsletter:preferences", token(tokens.PREFERENCES)),
    )


def header_address(address: str) -> str:
    """sanitize_address, with a fast path for the usual plain ASCII address (Django's parser
    costs more than the rest of a campaign message)."""
    if address.isascii() and address.isprintable() and "<" not in address and "," not in address:
        return address
    return sanitize_address(address, "utf-8")


def list_headers(links: Links) -> dict[str, str]:
    domain = conf.mail_domain()
    return {
        "List-Unsubscribe": (
            f"<{links.unsubscribe}>, "
            f"<mailto:unsubscribe+{links.token}@{domain}?subject=unsubscribe>"
        ),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{conf.get('LIST_ID')} <newsletter.{domain}>",
    }


def _message(
    *, to: str, subject: str, text: str, html: str, links: Links | None, headers: dict
) -> EmailMultiAlternatives:
    if links is not None:
        headers = {**list_headers(links), **headers}
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers
    )
    message.attach_alternative(html, "text/html")
    return message


def transactional_message(
    *, kind: str, subscriber: Subscriber, **context
) -> EmailMultiAlternatives:
    """confirm (context: confirm_url), already or welcome."""
    links = links_for(subscriber)
    context = {
        "subscriber": subscriber,
        "links": links,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "signup_url": absolute(reverse("newsletter:signup")),
        "subject": SUBJECTS[kind],
        **context,
    }
    return _message(
        to=subscriber.email,
        subject=SUBJECTS[kind],
        text=render_to_string(f"newsletter/email/{kind}.txt", context),
        html=render_to_string(f"newsletter/email/{kind}.html", context),
        links=links,
        # The delivery id a log line names when this message cannot be sent.
        headers={"Message-ID": make_msgid(f"newsletter.{kind}", domain=conf.mail_domain())},
    )


def _qp(text: str) -> bytes:
    """Quoted-printable with CRLF line ends (binascii keeps the first line end it sees)."""
    data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode()
    return binascii.b2a_qp(data, istext=True)


@dataclass(frozen=True)
class CampaignContent:
    """A campaign rendered once, with slots for each recipient's own links.

    `message()` gives a Django EmailMultiAlternatives (any email backend, the test send);
    `as_bytes()` writes the same multipart/alternative message directly, for the SMTP sender:
    the headers that never change are encoded once per campaign, and a message costs two
    string replacements and two quoted-printable encodings instead of a pass of the email
    package's generator (about 30 times slower, most of a message's cost at 300/s)."""

    subject: str
    html: str
    text: str
    boundary: str = field(default_factory=lambda: f"=_nl_{secrets.token_hex(12)}")

    def _filled(self, links: Links | None) -> tuple[str, str]:
        signup = absolute(reverse("newsletter:signup"))
        unsubscribe, preferences = (
            (links.unsubscribe, links.preferences)
            if links
            else (
                signup,
                signup,
            )
        )

        def fill(body: str) -> str:
            return body.replace(UNSUBSCRIBE_SLOT, unsubscribe).replace(
                PREFERENCES_SLOT, preferences
            )

        return fill(self.text), fill(self.html)

    def message(
        self, *, to: str, links: Links | None, message_id: str | None = None
    ) -> EmailMultiAlternatives:
        text, html = self._filled(links)
        return _message(
            to=to,
            subject=self.subject,
            text=text,
            html=html,
            links=links,
            headers={"Message-ID": message_id} if message_id else {},
        )

    def _fixed_headers(self) -> bytes:
        cached = self.__dict__.get("_fixed")
        if cached is None:
            domain = conf.mail_domain()
            lines = [
                f"From: {sanitize_address(settings.DEFAULT_FROM_EMAIL, 'utf-8')}",
                "Subject: "
                + Header(self.subject, "utf-8", header_name="Subject").encode(linesep="\r\n"),
                "MIME-Version: 1.0",
                f'Content-Type: multipart/alternative; boundary="{self.boundary}"',
                "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
                f"List-Id: {conf.get('LIST_ID')} <newsletter.{domain}>",
            ]
            cached = ("\r\n".join(lines) + "\r\n").encode()
            object.__setattr__(self, "_fixed", cached)
        return cached

    def as_bytes(self, *, to: str, links: Links, message_id: str) -> bytes:
        """RFC 5322 / MIME bytes with CRLF line ends, ready for SMTP DATA."""
        text, html = self._filled(links)
        mailto = f"mailto:unsubscribe+{links.token}@{conf.mail_domain()}?subject=unsubscribe"
        head = (
            f"To: {header_address(to)}\r\n"
            f"Date: {formatdate()}\r\n"
            f"Message-ID: {message_id}\r\n"
            f"List-Unsubscribe: <{links.unsubscribe}>,\r\n <{mailto}>\r\n"
        ).encode()
        part = (
            f'--{self.boundary}\r\nContent-Type: text/{{}}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        )
        return b"".join(
            (
                self._fixed_headers(),
                head,
                b"\r\n",
                part.format("plain").encode(),
                _qp(text),
                b"\r\n",
                part.format("html").encode(),
                _qp(html),
                f"\r\n--{self.boundary}--\r\n".encode(),
            )
        )


def campaign_render(campaign: Campaign) -> CampaignContent:
    """Subject, HTML and text of a campaign: its Markdown body (sanitised by the articles'
    renderer, links made absolute) and/or the article's title, excerpt and link."""
    article = campaign.article
    rendered = render_markdown(campaign.body_markdown) if campaign.body_markdown.strip() else None
    body_html = _RELATIVE.sub(rf'\1="{settings.SITE_URL}/', rendered.html) if rendered else ""
    subject = campaign.subject or (article.title if article else settings.SITE_NAME)
    context = {
        "subject": subject,
        "headline": rendered.headline if rendered else "",
        "body_html": body_html,
        "body_text": campaign.body_markdown.strip(),
        "article": article,
        "article_url": absolute(article.get_absolute_url()) if article else "",
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "unsubscribe_url": UNSUBSCRIBE_SLOT,
        "preferences_url": PREFERENCES_SLOT,
    }
    return CampaignContent(
        subject=subject,
        html=render_to_string("newsletter/email/campaign.html", context),
        text=render_to_string("newsletter/email/campaign.txt", context),
    )


def message_id(*, campaign_id: int, delivery_id: int) -> str:
    """The same for every attempt of one delivery, so a receiver can tell a resend."""
    return f"<newsletter.{campaign_id}.{delivery_id}@{conf.mail_domain()}>"
