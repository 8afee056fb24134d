"""Reads of consultation requests. Who may see a request is one rule, the practitioners app's:
the accounts that may edit its listing (practitioners.selectors.account_listings). Which
listings accept requests is one rule too, `providers_accepting_requests` (a patient's side)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, QuerySet

from ketamine_association.directory.geo import Place
from ketamine_association.directory.models import Provider
from ketamine_association.directory.selectors import (
    ProviderFilters,
    provider_listed,
    provider_search,
)
from ketamine_association.practitioners.models import ListingOwner
from ketamine_association.practitioners.selectors import account_listings

from .choices import RequestStatus
from .models import ConsultationRequest, RequestAccess

# --- a patient's side: which listings accept requests -----------------------------------------

# /consultation: providers within this distance of the ZIP, nearest first, at most this many.
NEARBY_RADIUS_MI = 100
NEARBY_OFFERED = 10
# How many accepting listings the search reads before keeping the owned ones.
NEARBY_SEARCHED = 100


def providers_accepting_requests() -> QuerySet[Provider]:
    """The one rule: a listing accepts consultation requests when the public may see it (not
    suspended), a practitioner account owns it and it says it accepts new patients."""
    owned = ListingOwner.objects.filter(provider=OuterRef("pk"))
    return provider_listed().filter(Exists(owned), accepting_new_patients=True)


def provider_accepts_requests(provider: Provider) -> bool:
    """The rule above for one listing, read fresh from the database (one query)."""
    return providers_accepting_requests().filter(pk=provider.pk).exists()


@dataclass(frozen=True)
class NearbyProvider:
    provider: Provider  # with directory.selectors.CARD_FIELDS loaded
    distance_mi: float


def providers_accepting_near(
    *, place: Place, radius_mi: float = NEARBY_RADIUS_MI, offered: int = NEARBY_OFFERED
) -> list[NearbyProvider]:
    """Providers near `place` that accept requests, nearest first, at most `offered`: the
    directory's own search (accepting new patients, listed), then the owned ones (one query)."""
    result = provider_search(
        origin=place,
        radius_mi=radius_mi,
        filters=ProviderFilters(accepting=True),
        limit=NEARBY_SEARCHED,
        max_results=NEARBY_SEARCHED,
    )
    hits = [hit for hit in result.hits if hit.distance_mi is not None]
    owned = set(
        ListingOwner.objects.filter(provider_id__in=[hit.provider.pk for hit in hits]).values_list(
            "provider_id", flat=True
        )
    )
    return [
        NearbyProvider(hit.provider, hit.distance_mi) for hit in hits if hit.provider.pk in owned
    ][:offered]


def providers_by_slugs(slugs: list[str]) -> list[Provider]:
    """The providers of these slugs, in the order given (unknown slugs left out); accepting
    or not: the service decides (a listing may stop accepting between page load and submit)."""
    found = {
        p.slug: p for p in Provider.objects.filter(slug__in=slugs).select_related("owner__account")
    }
    return [found[slug] for slug in slugs if slug in found]


# --- the provider's inbox ---------------------------------------------------------------------

# What the inbox list reads: no encrypted field, so listing requests decrypts nothing and
# every reading of a patient's details is an opening, logged.
INBOX_FIELDS = ("id", "provider", "created_at", "status", "status_changed_at", "finished_at")


def inbox_requests(*, user, status: str | None = None) -> QuerySet[ConsultationRequest]:
    """The requests of the account's listings (owned or edited), newest first, optionally of
    one status; plain fields only, with the listing's name."""
    requests = ConsultationRequest.objects.filter(provider__in=account_listings(user=user))
    if status in RequestStatus.values:
        requests = requests.filter(status=status)
    return (
        requests.select_related("provider")
        .only(*INBOX_FIELDS, "provider__name", "provider__credentials", "provider__practice_name")
        .order_by("-created_at", "-id")
    )


def inbox_status_counts(*, user) -> dict[str, int]:
    """How many requests of each status the account's listings have (every status, 0 too)."""
    rows = (
        ConsultationRequest.objects.filter(provider__in=account_listings(user=user))
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    found = dict(rows)
    return {status: found.get(status, 0) for status in RequestStatus.values}


def inbox_request(*, user, pk: int) -> ConsultationRequest | None:
    """The request `pk` if it belongs to one of the account's listings, else None (another's
    request and a missing one are the same 404)."""
    return (
        ConsultationRequest.objects.filter(provider__in=account_listings(user=user), pk=pk)
        .select_related("provider")
        .first()
    )


def request_access_log(*, consultation: ConsultationRequest) -> QuerySet[RequestAccess]:
    """Every opening and change of one request, newest first, with who did it."""
    return consultation.accesses.select_related("by").order_by("-at", "-id")
