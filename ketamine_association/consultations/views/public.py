"""Views: a patient's request, from a profile or from /consultation.

Answers (README, "Consultation requests — for patients"):
- a valid request: 200, "Your request was sent", rendered in answer to the POST (the crisis
  answer never travels in a URL, a cookie or the session); the same page, status and text when
  it was stored, was a duplicate or filled the honeypot. GET /consultation/sent shows it too.
- a chosen provider that stopped accepting requests: 409, a kind page naming it, with the
  patient's request shown back and links to choose again; nothing stored for it.
- too many requests: 429 with Retry-After (core.ratelimit.too_many_requests), the request
  shown back.
- a form with errors: 200, the form again with a message on each field."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from ketamine_association.core.ratelimit import client_ip, too_many_requests
from ketamine_association.directory.geo import zip_place
from ketamine_association.directory.selectors import provider_get, provider_is_listed

from ..choices import MAX_PROVIDERS
from ..forms import RequestForm
from ..selectors import (
    NEARBY_RADIUS_MI,
    provider_accepts_requests,
    providers_accepting_near,
    providers_accepting_requests,
    providers_by_slugs,
)
from ..services.requests import SubmitOutcome, request_submit
from ..services.retention import retention_terms

_ZIP = re.compile(r"(\d{5})(?:-\d{4})?")
SLUG_MAX = 200  # longer than any slug: read no further


def _zip(value: str) -> str:
    match = _ZIP.fullmatch(value.strip())
    return match.group(1) if match else ""


def _choose_url(zip_code: str) -> str:
    return f"/consultation?{urlencode({'zip': zip_code})}" if zip_code else "/consultation"


def _names(providers) -> list[str]:
    return [p.display_name for p in providers]


# --------------------------------------------------------------------------- on a profile


def request_form_part(request: HttpRequest, provider) -> dict | None:
    """The profile part: the form, only when the listing accepts requests."""
    if not provider_accepts_requests(provider):
        return None
    return {
        "form": RequestForm(provider_names=_names([provider])),
        "action": reverse("consultations:provider-request", kwargs={"slug": provider.slug}),
    }


@require_http_methods(["GET", "HEAD", "POST"])
def provider_request(request: HttpRequest, slug: str) -> HttpResponse:
    provider = provider_get(slug=slug)
    if provider is None or not provider_is_listed(provider):
        raise Http404("No such provider.")
    choose_url = _choose_url(provider.zip_code)
    if request.method != "POST":
        if not provider_accepts_requests(provider):
            context = {"provider": provider, "choose_url": choose_url, "zip": provider.zip_code}
            return render(request, "consultations/unavailable.html", context)
        form = RequestForm(provider_names=_names([provider]))
        return render(request, "consultations/request.html", _form_context(form, provider))
    form = RequestForm(request.POST, provider_names=_names([provider]))
    if not form.is_valid():
        return render(request, "consultations/request.html", _form_context(form, provider))
    outcome = request_submit(providers=[provider], data=form.cleaned_data, ip=client_ip(request))
    return _answer(request, outcome, form, zip_code=provider.zip_code)


def _form_context(form: RequestForm, provider) -> dict:
    return {"form": form, "provider": provider, "action": request_path(provider)}


def request_path(provider) -> str:
    return reverse("consultations:provider-request", kwargs={"slug": provider.slug})


# --------------------------------------------------------------------------- /consultation


@require_safe
def start(request: HttpRequest) -> HttpResponse:
    """Step 1, a ZIP code; step 2, up to MAX_PROVIDERS nearby providers that accept requests
    (a GET form back here with step=choose), then on to the form."""
    raw_zip = request.GET.get("zip", "")
    step = request.GET.get("step", "")
    chosen = list(dict.fromkeys(s[:SLUG_MAX] for s in request.GET.getlist("p")))
    context = {
        "max_providers": MAX_PROVIDERS,
        "radius": NEARBY_RADIUS_MI,
        "zip": "",
        "chosen": chosen,
    }
    if not raw_zip.strip():
        return render(request, "consultations/start.html", context)
    zip_code = _zip(raw_zip)
    place = zip_place(zip_code) if zip_code else None
    if place is None:
        shown = raw_zip.strip()[:10]
        context.update(
            zip=shown,
            zip_error=True,
            message=f"We do not know the ZIP code “{shown}”. Please enter the five digits of "
            "a US ZIP code, like 90210.",
        )
        return render(request, "consultations/start.html", context)
    nearby = providers_accepting_near(place=place)
    context.update(zip=zip_code, place=place, nearby=nearby)
    if step == "choose":
        offered = {near.provider.slug for near in nearby}
        message = ""
        if not chosen:
            message = "Please choose at least one provider."
        elif len(chosen) > MAX_PROVIDERS:
            message = f"Please choose at most {MAX_PROVIDERS} providers: you chose {len(chosen)}."
        elif not set(chosen) <= offered:
            message = "Please choose providers from this list."
        if message:
            context.update(message=message, choose_error=True)
            return render(request, "consultations/start.html", context)
        query = urlencode([("zip", zip_code), *(("p", slug) for slug in chosen)])
        return redirect(f"{reverse('consultations:form')}?{query}")
    return render(request, "consultations/start.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def form(request: HttpRequest) -> HttpResponse:
    """Step 3: the form once, for the providers chosen (?p=<slug>&p=<slug>, at most
    MAX_PROVIDERS); one request per provider, one shared submission."""
    slugs = list(dict.fromkeys(s[:SLUG_MAX] for s in request.GET.getlist("p")))
    zip_code = _zip(request.GET.get("zip", ""))
    choose_url = _choose_url(zip_code)
    start_context = {
        "max_providers": MAX_PROVIDERS,
        "radius": NEARBY_RADIUS_MI,
        "zip": zip_code,
        "chosen": [],
    }
    if len(slugs) > MAX_PROVIDERS:
        start_context["message"] = (
            f"Please choose at most {MAX_PROVIDERS} providers: you chose {len(slugs)}."
        )
        status = 400 if request.method == "POST" else 200
        return render(request, "consultations/start.html", start_context, status=status)
    if request.method != "POST":
        providers = list(
            providers_accepting_requests().filter(slug__in=slugs).order_by("name", "id")
        )
        if not providers:
            start_context["message"] = (
                "Choose one to three providers first: none of the ones in this link take "
                "requests through this site now."
                if slugs
                else "Choose one to three providers first."
            )
            return render(request, "consultations/start.html", start_context)
        form = RequestForm(provider_names=_names(providers))
        return render(
            request, "consultations/form.html", _multi_context(request, form, providers, choose_url)
        )
    providers = providers_by_slugs(slugs)
    form = RequestForm(
        request.POST, provider_names=_names(providers) or ["the providers you chose"]
    )
    if not providers:
        return _answer(
            request,
            SubmitOutcome("unavailable"),
            form,
            zip_code=zip_code,
        )
    if not form.is_valid():
        return render(
            request, "consultations/form.html", _multi_context(request, form, providers, choose_url)
        )
    outcome = request_submit(providers=providers, data=form.cleaned_data, ip=client_ip(request))
    return _answer(request, outcome, form, zip_code=zip_code or providers[0].zip_code)


def _multi_context(request, form, providers, choose_url) -> dict:
    return {
        "form": form,
        "providers": providers,
        "action": request.get_full_path(),
        "choose_url": choose_url,
    }


@require_safe
def sent(request: HttpRequest) -> HttpResponse:
    return render(
        request, "consultations/sent.html", {"providers": [], "retention": retention_terms()}
    )


# --------------------------------------------------------------------------- answers


def _answer(request, outcome: SubmitOutcome, form: RequestForm, *, zip_code: str) -> HttpResponse:
    crisis = form.crisis_yes
    if outcome.status == "sent":
        context = {"providers": outcome.sent_to, "crisis": crisis, "retention": retention_terms()}
        return render(request, "consultations/sent.html", context)
    context = {
        "submitted": True,
        "request_back": form.request_back(),
        "crisis": crisis,
        "zip": zip_code,
        "choose_url": _choose_url(zip_code),
        "sent_to": outcome.sent_to,
        "unavailable": outcome.unavailable,
    }
    if outcome.status == "limited":
        return too_many_requests(
            request,
            retry_after=outcome.retry_after,
            template="consultations/too_many.html",
            context=context,
        )
    # 409 Conflict: the listing changed under the patient (documented in the README).
    return render(request, "consultations/unavailable.html", context, status=409)
