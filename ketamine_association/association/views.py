"""Thin views: the contact form and its "sent" page; the membership tiers slot.

The form answers the same for every address (the same redirect, the same page); a bot that
fills the honeypot gets that answer too and nothing is stored or sent."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods

from ketamine_association.core.ratelimit import client_ip, too_many_requests

from . import selectors, services
from .choices import Topic
from .forms import ContactForm

RATE_LIMITED = "association/rate_limited.html"


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _initial(query) -> tuple[dict, object]:
    """What `?topic=...&article=<slug>` pre-fills: a known topic, a published article."""
    initial = {}
    if query.get("topic") in Topic.values:
        initial["topic"] = query["topic"]
    article = selectors.contact_article(value=query.get("article", ""))
    if article is not None:
        initial["article"] = article.slug
        initial.setdefault("topic", Topic.CORRECTION)
    return initial, article


@require_http_methods(["GET", "HEAD", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            if retry_after := services.contact_ip_limited(ip=client_ip(request)):
                return too_many_requests(request, retry_after=retry_after, template=RATE_LIMITED)
            data = form.cleaned_data
            if not data["website"]:  # the honeypot: a bot gets the same answer, nothing is kept
                services.contact_submit(
                    name=data["name"],
                    email=data["email"],
                    topic=data["topic"],
                    message=data["message"],
                    article=data["article_obj"],
                )
            return redirect("association:contact_sent")
        article = form.cleaned_data.get("article_obj")
    else:
        initial, article = _initial(request.GET)
        form = ContactForm(initial=initial)
    context = {"form": form, "topics": Topic.choices, "article": article}
    status = 400 if form.errors else 200
    return _no_store(render(request, "association/contact.html", context, status=status))


@require_http_methods(["GET", "HEAD"])
def contact_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "association/contact_sent.html")


def membership_tiers_slot(request: HttpRequest) -> str:
    """The `membership-tiers` slot of a content page: the active tiers as HTML."""
    return render_to_string(
        "association/_tiers.html", {"tiers": list(selectors.membership_tiers())}, request=request
    )
