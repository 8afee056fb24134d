"""Thin views: signup, confirmation, one-click unsubscribe and preferences.

Signup answers the same page, status and wording for every address; confirm links confirm
only on POST; the unsubscribe URL takes a POST with no CSRF token (RFC 8058)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ketamine_association.core.addresses import normalise_email
from ketamine_association.core.ratelimit import client_ip, too_many_requests

from . import conf, selectors, services, tokens
from .choices import ALREADY_SUBSCRIBED, Interest, SubscriberStatus
from .forms import PreferencesForm, SignupForm
from .models import Subscriber
from .privacy import ip_hash, signup_address_limited, signup_ip_limited

SAFE_AND_POST = ["GET", "HEAD", "POST"]
RATE_LIMITED = "newsletter/rate_limited.html"


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _link_problem(request: HttpRequest, problem: str, status: int = 400) -> HttpResponse:
    return _no_store(
        render(request, "newsletter/link_problem.html", {"problem": problem}, status=status)
    )


@require_http_methods(SAFE_AND_POST)
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        hashed = ip_hash(client_ip(request))
        if retry_after := signup_ip_limited(ip_hashed=hashed):
            return too_many_requests(request, retry_after=retry_after, template=RATE_LIMITED)
        if form.is_valid():
            data = form.cleaned_data
            if not data["website"]:  # the honeypot: a bot gets the same page and no email
                if retry_after := signup_address_limited(email=normalise_email(data["email"])):
                    return too_many_requests(
                        request, retry_after=retry_after, template=RATE_LIMITED
                    )
                services.subscriber_request(
                    email=data["email"],
                    first_name=data["first_name"],
                    interests=data["interests"],
                    ip_hashed=hashed,
                )
            return _no_store(render(request, "newsletter/check_inbox.html"))
    context = {
        "form": form,
        "interests": Interest.choices,
        "consent_text": conf.get("CONSENT_TEXT"),
    }
    return render(request, "newsletter/signup.html", context, status=400 if form.errors else 200)


@require_http_methods(SAFE_AND_POST)
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber_id, nonce = tokens.confirm_token_read(token)
    except tokens.LinkExpired:
        return _link_problem(request, "expired")
    except tokens.LinkInvalid:
        return _link_problem(request, "invalid")
    if request.method != "POST":
        if not selectors.subscriber_confirmable(subscriber_id=subscriber_id, nonce=nonce):
            return _link_problem(request, "used", status=200)
        return _no_store(render(request, "newsletter/confirm.html"))
    outcome = services.subscriber_confirm(
        subscriber_id=subscriber_id, nonce=nonce, ip_hashed=ip_hash(client_ip(request))
    )
    if outcome == "used":
        return _link_problem(request, "used", status=200)
    subscriber = Subscriber.objects.get(pk=subscriber_id)
    preferences = reverse("newsletter:preferences", args=[_preferences_token(subscriber)])
    return _no_store(render(request, "newsletter/confirmed.html", {"preferences": preferences}))


def _preferences_token(subscriber: Subscriber) -> str:
    return tokens.recipient_token(
        purpose=tokens.PREFERENCES, subscriber_id=subscriber.pk, key=subscriber.key
    )


@csrf_exempt  # RFC 8058: mailbox providers POST `List-Unsubscribe=One-Click`, with no token
@require_http_methods(SAFE_AND_POST)
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = selectors.subscriber_get_by_token(token=token, purpose=tokens.UNSUBSCRIBE)
    if subscriber is None:
        return _link_problem(request, "invalid")
    preferences = reverse("newsletter:preferences", args=[_preferences_token(subscriber)])
    if request.method != "POST":
        return _no_store(
            render(request, "newsletter/unsubscribe.html", {"preferences": preferences})
        )
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    services.subscriber_unsubscribe(
        subscriber=subscriber,
        source="one-click (RFC 8058)" if one_click else "unsubscribe page",
        ip_hashed=ip_hash(client_ip(request)),
    )
    return _no_store(render(request, "newsletter/unsubscribed.html", {"preferences": preferences}))


@require_http_methods(SAFE_AND_POST)
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = selectors.subscriber_get_by_token(token=token, purpose=tokens.PREFERENCES)
    if subscriber is None:
        return _link_problem(request, "invalid")
    subscribed = subscriber.status in ALREADY_SUBSCRIBED
    saved = ""
    form = PreferencesForm(
        request.POST if request.method == "POST" and subscribed else None,
        initial={"first_name": subscriber.first_name, "interests": subscriber.interests},
    )
    if request.method == "POST" and subscribed:
        hashed = ip_hash(client_ip(request))
        action = request.POST.get("action", "save")
        if action == "leave":
            services.subscriber_unsubscribe(
                subscriber=subscriber, source="preferences page", ip_hashed=hashed
            )
            return _no_store(render(request, "newsletter/unsubscribed.html", {"preferences": ""}))
        if form.is_valid():
            paused = {"pause": True, "resume": False}.get(
                action, subscriber.status == SubscriberStatus.PAUSED
            )
            services.subscriber_preferences_update(
                subscriber=subscriber,
                first_name=form.cleaned_data["first_name"],
                interests=form.cleaned_data["interests"],
                paused=paused,
                ip_hashed=hashed,
            )
            subscriber.refresh_from_db()
            saved = {"pause": "paused", "resume": "resumed"}.get(action, "saved")
            form = PreferencesForm(
                initial={"first_name": subscriber.first_name, "interests": subscriber.interests}
            )
    context = {
        "form": form,
        "subscriber": subscriber,
        "subscribed": subscribed,
        "paused": subscriber.status == SubscriberStatus.PAUSED,
        "saved": saved,
    }
    return _no_store(
        render(request, "newsletter/preferences.html", context, status=400 if form.errors else 200)
    )
