"""The public URL contract of /find-provider: location, radius, treatment, condition,
insurance, telehealth, accepting, verified, page. Whatever arrives, parsing never fails:
a value we cannot use is dropped with a note that says so."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.http import QueryDict

from .choices import DEFAULT_RADIUS, RADIUS_CHOICES, Condition, Insurance, Treatment
from .selectors import ProviderFilters

ON = {"1", "on", "true", "yes"}
OFF = {"", "0", "off", "false", "no"}
MAX_VALUES = 10  # per list parameter
MAX_PAGE = 10_000
KEPT_LOCATION = 10_000  # characters of a location read at all (the resolver explains why not)


def _shown(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class SearchParams:
    location: str = ""
    radius: int = DEFAULT_RADIUS
    treatment: tuple[str, ...] = ()
    condition: tuple[str, ...] = ()
    insurance: tuple[str, ...] = ()
    telehealth: bool = False
    accepting: bool = False
    verified: bool = False
    page: int = 1

    @property
    def filters(self) -> ProviderFilters:
        return ProviderFilters(
            treatments=Treatment.mask(self.treatment),
            conditions=Condition.mask(self.condition),
            insurance=Insurance.mask(self.insurance),
            accepting=self.accepting,
            verified=self.verified,
            telehealth=self.telehealth,
        )

    def query(self, **changes) -> str:
        """The canonical query string of these parameters (with `changes`), for links."""
        params = replace(self, **changes)
        pairs: list[tuple[str, str | int]] = [("location", params.location)]
        if params.radius != DEFAULT_RADIUS:
            pairs.append(("radius", params.radius))
        for name in ("treatment", "condition", "insurance"):
            pairs += [(name, value) for value in getattr(params, name)]
        for name in ("telehealth", "accepting", "verified"):
            if getattr(params, name):
                pairs.append((name, 1))
        if params.page > 1:
            pairs.append(("page", params.page))
        return urlencode(pairs)


def _choices(get: QueryDict, name: str, allowed: list[str], label: str, notes: list[str]):
    kept: list[str] = []
    for value in get.getlist(name)[: MAX_VALUES * 2]:
        value = value.strip()
        if not value:
            continue
        if value in allowed:
            if value not in kept:
                kept.append(value)
        else:
            notes.append(f"We do not know the {label} “{_shown(value)}”, so it was ignored.")
    return tuple(kept[:MAX_VALUES])


def _flag(get: QueryDict, name: str, label: str, notes: list[str]) -> bool:
    value = get.get(name, "").strip().lower()
    if value in ON:
        return True
    if value not in OFF:
        notes.append(f"“{_shown(value)}” is not a yes or no for {label}, so it was ignored.")
    return False


def search_params(get: QueryDict) -> tuple[SearchParams, list[str]]:
    """(what to search, notes on what was ignored or changed)."""
    notes: list[str] = []
    radius = DEFAULT_RADIUS
    raw_radius = get.get("radius", "").strip()
    if raw_radius:
        try:
            value = float(raw_radius)
        except ValueError:
            value = None
        if value is not None and value.is_integer() and int(value) in RADIUS_CHOICES:
            radius = int(value)
        else:
            miles = ", ".join(str(r) for r in RADIUS_CHOICES[:-1]) + f" or {RADIUS_CHOICES[-1]}"
            notes.append(
                f"We search within {miles} miles; “{_shown(raw_radius, 20)}” is not one of "
                f"them, so this search uses {DEFAULT_RADIUS} miles."
            )
    page = 1
    raw_page = get.get("page", "").strip()
    if raw_page:
        if raw_page.isascii() and raw_page.isdigit() and len(raw_page) <= 6:
            page = min(max(int(raw_page), 1), MAX_PAGE)
        else:
            notes.append(f"There is no page “{_shown(raw_page, 20)}”, so this is page 1.")
    params = SearchParams(
        location=" ".join(get.get("location", "")[:KEPT_LOCATION].split()),
        radius=radius,
        treatment=_choices(get, "treatment", Treatment.values, "treatment", notes),
        condition=_choices(get, "condition", Condition.values, "condition", notes),
        insurance=_choices(get, "insurance", Insurance.values, "insurance", notes),
        telehealth=_flag(get, "telehealth", "telehealth", notes),
        accepting=_flag(get, "accepting", "accepting new patients", notes),
        verified=_flag(get, "verified", "verified only", notes),
        page=page,
    )
    return params, notes
