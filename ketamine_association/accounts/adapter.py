"""allauth's account adapter, fitted to the site: its mail leaves through the task queue
(core.mail.send_transactional), a `next` is followed only inside this site, a practitioner
lands on the dashboard, and the client address is read where every rate limit reads it."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from ketamine_association.core.addresses import normalise_email
from ketamine_association.core.mail import send_transactional
from ketamine_association.core.ratelimit import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth renders the subject, text and HTML from its templates (ours override
        them); the queue sends the mail once the request's transaction commits."""
        request = self.request
        ctx = {"request": request, "email": email, **context}
        ctx.setdefault("current_site", _CurrentSite(request))
        message = self.render_mail(template_prefix, email, ctx)
        html = None
        if isinstance(message, EmailMultiAlternatives):
            html = next((body for body, kind in message.alternatives if kind == "text/html"), None)
        text = message.body
        if getattr(message, "content_subtype", "plain") == "html":
            html, text = message.body, ""
        send_transactional(
            to=message.to[0],
            subject=message.subject,
            text=text,
            html=html,
            from_email=message.from_email,
            headers={k: v for k, v in message.extra_headers.items() if k.lower() != "to"},
        )

    def clean_email(self, email: str) -> str:
        return normalise_email(super().clean_email(email))

    def is_safe_url(self, url: str | None) -> bool:
        """Only a path on this very host: no other host, even one in ALLOWED_HOSTS."""
        if not url:
            return False
        request = self.request
        return url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return reverse("admin:index" if request.user.is_staff else "accounts:dashboard")

    def get_client_ip(self, request: HttpRequest) -> str:
        return client_ip(request) or "0.0.0.0"  # noqa: S104 - a key for the rate limit only


class _CurrentSite:
    """What allauth's mail templates read as `current_site` without django.contrib.sites."""

    def __init__(self, request):
        from django.conf import settings

        self.name = settings.SITE_NAME
        self.domain = request.get_host() if request is not None else settings.SITE_URL
