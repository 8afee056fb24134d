"""Thin views: parse the request, call a selector, render. Bad input is explained, never an
error: every page here answers 200, 301 or 404 (410 for a suspended listing's profile)."""

from __future__ import annotations

import mimetypes
from dataclasses import replace

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from ketamine_association.core.files import file_response
from ketamine_association.core.pagination import page_links
from ketamine_association.core.seo import absolute

from . import selectors
from .choices import (
    MAX_LOCATION_LENGTH,
    MAX_RESULTS,
    PAGE_SIZE,
    RADIUS_CHOICES,
    Condition,
    Insurance,
    State,
    Treatment,
)
from .geo import city_place, location_resolve, state_from_slug, state_from_text, state_slug
from .models import photos_root
from .params import search_params
from .parts import profile_parts
from .seo import provider_jsonld


def _card(provider, distance_mi: float | None = None, remote: bool = False) -> dict:
    """What a result card shows, as plain values: a page renders twenty of them."""
    distance = f"{distance_mi:.1f} mi" if distance_mi is not None else ""
    return {
        "url": provider.get_absolute_url(),
        "name": provider.display_name,
        "practice": provider.practice_name,
        "distance": "Telehealth" if remote else distance,
        "where": f"{provider.city}, {provider.state} {provider.zip_code}",
        "verified": provider.is_verified,
        "checked": provider.verified_what,
        "accepting": provider.accepting_new_patients,
        "telehealth": provider.telehealth,
        "demo": provider.is_demo,
        "treatments": ", ".join(provider.treatment_labels),
    }


def _options(choices, chosen: tuple[str, ...]) -> list[tuple[str, str, bool]]:
    return [(value, label, value in chosen) for value, label in choices.choices]


def _states_with_counts() -> list[tuple[str, str, str, int]]:
    return [(code, State(code).label, state_slug(code), n) for code, n in selectors.state_counts()]


@require_safe
def find_provider(request: HttpRequest) -> HttpResponse:
    params, notes = search_params(request.GET)
    resolution = location_resolve(params.location)
    place = resolution.place
    context = {
        "params": params,
        "notes": notes,
        "resolution": resolution,
        "form_location": params.location if len(params.location) <= MAX_LOCATION_LENGTH else "",
        "radius_options": [(r, r == params.radius) for r in RADIUS_CHOICES],
        "treatment_options": _options(Treatment, params.treatment),
        "condition_options": _options(Condition, params.condition),
        "insurance_options": _options(Insurance, params.insurance),
        "place": place,
    }
    if resolution.state:
        context["state_link"] = (
            f"/find-provider/{state_slug(resolution.state)}",
            State(resolution.state).label,
        )
    if place is None:
        context["states"] = _states_with_counts()
        context["suggestion_links"] = [
            (text, params.query(location=text, page=1)) for text in resolution.suggestions
        ]
    else:
        context.update(_search(params, notes, place))
    response = render(request, "directory/search.html", context)
    if request.GET:
        response["X-Robots-Tag"] = "noindex"
    return response


def _search(params, notes: list[str], place) -> dict:
    def run(page: int):
        return selectors.provider_search(
            origin=place,
            radius_mi=params.radius,
            filters=params.filters,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
            max_results=MAX_RESULTS,
        )

    result = run(params.page)
    pages = max(1, -(-result.total // PAGE_SIZE))
    if params.page > pages and result.total:
        notes.append(f"There is no page {params.page} of these results; this is page {pages}.")
        params = replace(params, page=pages)
        result = run(pages)
    wider = [r for r in RADIUS_CHOICES if r > params.radius]
    return {
        "params": params,
        "result": result,
        "cards": [_card(h.provider, h.distance_mi, h.is_remote) for h in result.hits],
        "remote_count": result.total - result.nearby,
        "pages": pages,
        "page_links": page_links(
            Paginator(range(result.total), PAGE_SIZE), params.page, lambda n: params.query(page=n)
        ),
        "previous_query": params.query(page=params.page - 1) if params.page > 1 else "",
        "next_query": params.query(page=params.page + 1) if params.page < pages else "",
        "wider": [(r, params.query(radius=r, page=1)) for r in sorted({*wider[:1], *wider[-1:]})],
        "telehealth_query": params.query(telehealth=True, page=1)
        if not params.telehealth and place.state
        else "",
        "state_name": State(place.state).label if place.state else "",
        "state_url": f"/find-provider/{state_slug(place.state)}" if place.state else "",
    }


@require_safe
def state_page(request: HttpRequest, state: str) -> HttpResponse:
    code = state_from_slug(state)
    if code is None:
        alias = state_from_text(state.replace("-", " "))
        if alias:  # /find-provider/ca, /find-provider/CA
            return redirect(f"/find-provider/{state_slug(alias)}", permanent=True)
        return _state_not_found(request, state)
    cities = selectors.state_cities(state=code)
    context = {
        "state": code,
        "state_name": State(code).label,
        "state_url": f"/find-provider/{state}",
        "cities": cities,
        "total": sum(city.count for city in cities),
        "canonical": absolute(f"/find-provider/{state}"),
    }
    return render(request, "directory/state.html", context)


def _state_not_found(request: HttpRequest, typed: str) -> HttpResponse:
    context = {"typed": typed, "states": _states_with_counts()}
    return render(request, "directory/state_not_found.html", context, status=404)


@require_safe
def city_page(request: HttpRequest, state: str, city: str) -> HttpResponse:
    code = state_from_slug(state)
    if code is None:
        return _state_not_found(request, state)
    paginator = Paginator(selectors.city_providers(state=code, city_slug=city), PAGE_SIZE)
    if paginator.count == 0:
        place = city_place(state=code, slug=city)
        if place is None:
            raise Http404("No such city.")
        name = place.city
    else:
        name = None
    page = paginator.get_page(request.GET.get("page"))
    providers = list(page.object_list)
    base = f"/find-provider/{state}/{city}"
    context = {
        "state": code,
        "state_name": State(code).label,
        "state_url": f"/find-provider/{state}",
        "city_name": name or providers[0].city,
        "page_obj": page,
        "providers": providers,
        "cards": [_card(provider) for provider in providers],
        "base": base,
        "canonical": absolute(base if page.number == 1 else f"{base}?page={page.number}"),
        "page_links": page_links(
            paginator, page.number, lambda n: base if n == 1 else f"{base}?page={n}"
        ),
    }
    return render(request, "directory/city.html", context)


@require_safe
def profile(request: HttpRequest, slug: str) -> HttpResponse:
    provider = selectors.provider_get(slug=slug)
    if provider is None:
        raise Http404("No such provider.")
    state_url = f"/find-provider/{state_slug(provider.state)}"
    city_url = f"{state_url}/{provider.city_slug}"
    if not selectors.provider_is_listed(provider):
        # Suspended: gone for now, said kindly, with nothing of the listing but where to look.
        context = {
            "zip_code": provider.zip_code,
            "search_url": f"/find-provider?location={provider.zip_code}",
            "city_url": city_url,
        }
        return render(request, "directory/gone.html", context, status=410)
    context = {
        "provider": provider,
        "badge": selectors.provider_badge(provider=provider),
        "membership": selectors.provider_membership(provider=provider),
        "jsonld": provider_jsonld(provider=provider),
        "canonical": absolute(provider.get_absolute_url()),
        "state_url": state_url,
        "city_url": city_url,
        "npi_is_demo": provider.is_demo,
        "parts": profile_parts(request, provider),
    }
    return render(request, "directory/profile.html", context)


@require_safe
def photo(request: HttpRequest, name: str) -> FileResponse:
    content_type = mimetypes.guess_type(name)[0] or ""
    if not content_type.startswith("image/") or content_type == "image/svg+xml":
        raise Http404("No such photo.")  # an SVG can carry script: photos are raster only
    return file_response(root=photos_root(), name=name, content_type=content_type)
