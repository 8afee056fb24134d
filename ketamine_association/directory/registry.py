"""The NPPES NPI Registry behind one interface.

`NpiRegistry.lookup(npi)` answers a `RegistryRecord` or None (no such NPI). Two sources:
`RecordedRegistry` reads recorded API v2.1 JSON answers from a folder (`<npi>.json`: the tests
and any machine without network), `LiveRegistry` asks https://npiregistry.cms.hhs.gov/api/ and
is used only when settings.NPI_REGISTRY_LIVE is true (default False). `registry()` chooses.
Both parse the same JSON shape with `record_from_response`."""

from __future__ import annotations

import json
import re
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings

from .validators import npi_is_valid

API_URL = "https://npiregistry.cms.hhs.gov/api/"
API_VERSION = "2.1"
TIMEOUT_SECONDS = 10
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
STATUS = {"A": "active", "D": "deactivated"}


class RegistryUnavailable(Exception):
    """The registry gave no usable answer (network, timeout, error reply, no recording)."""


@dataclass(frozen=True)
class RegistryRecord:
    npi: str
    first_name: str
    last_name: str
    organization: str  # NPI-2 (an organization): its name; "" for a person
    credential: str
    taxonomy: str  # the primary taxonomy's description, "Psychiatry & Neurology, Psychiatry"
    state: str  # the primary taxonomy's license state, else the practice location's
    status: str  # "active" or "deactivated"

    @property
    def name(self) -> str:
        return self.organization or f"{self.first_name} {self.last_name}".strip()

    @property
    def active(self) -> bool:
        return self.status == "active"


class NpiRegistry(Protocol):
    def lookup(self, npi: str) -> RegistryRecord | None: ...


def record_from_response(data: dict, *, npi: str) -> RegistryRecord | None:
    """The record an API v2.1 answer holds for `npi`, None for `result_count: 0`."""
    if not isinstance(data, dict) or "Errors" in data:
        raise RegistryUnavailable(f"the registry answered an error: {data.get('Errors')!r}")
    results = [r for r in data.get("results") or [] if str(r.get("number")) == npi]
    if not data.get("result_count") or not results:
        return None
    result = results[0]
    basic = result.get("basic") or {}
    taxonomies = result.get("taxonomies") or []
    primary = next((t for t in taxonomies if t.get("primary")), taxonomies[0] if taxonomies else {})
    location = next(
        (a for a in result.get("addresses") or [] if a.get("address_purpose") == "LOCATION"), {}
    )
    status = "deactivated" if basic.get("deactivation_date") else STATUS.get(basic.get("status"))
    return RegistryRecord(
        npi=npi,
        first_name=basic.get("first_name", ""),
        last_name=basic.get("last_name", ""),
        organization=basic.get("organization_name", ""),
        credential=basic.get("credential", ""),
        taxonomy=primary.get("desc", ""),
        state=primary.get("state") or location.get("state", ""),
        status=status or "unknown",
    )


def _checked(npi: str) -> str:
    if not npi_is_valid(npi):
        raise ValueError(f"{npi!r} is not a valid NPI")
    return npi


class RecordedRegistry:
    """Recorded answers: `<root>/<npi>.json`, the API's JSON as it came."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def lookup(self, npi: str) -> RegistryRecord | None:
        path = self.root / f"{_checked(npi)}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise RegistryUnavailable(f"no recorded answer for NPI {npi}") from exc
        except ValueError as exc:
            raise RegistryUnavailable(f"{path.name}: not JSON ({exc})") from exc
        return record_from_response(data, npi=npi)


class LiveRegistry:
    """The NPPES API itself (urllib, a timeout, a size limit)."""

    def __init__(self, url: str = API_URL, timeout: float = TIMEOUT_SECONDS):
        self.url, self.timeout = url, timeout

    def lookup(self, npi: str) -> RegistryRecord | None:
        query = urllib.parse.urlencode({"version": API_VERSION, "number": _checked(npi)})
        request = urllib.request.Request(  # noqa: S310 (a fixed https URL)
            f"{self.url}?{query}", headers={"Accept": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(MAX_RESPONSE_BYTES + 1)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise RegistryUnavailable(f"NPPES registry unreachable: {exc}") from exc
        if len(body) > MAX_RESPONSE_BYTES:
            raise RegistryUnavailable("NPPES registry answer too large")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise RegistryUnavailable(f"NPPES registry answer not JSON: {exc}") from exc
        return record_from_response(data, npi=npi)


def registry() -> NpiRegistry:
    """The live registry when settings.NPI_REGISTRY_LIVE is true, else the recorded answers in
    settings.NPI_REGISTRY_RECORDINGS (default var/nppes)."""
    if getattr(settings, "NPI_REGISTRY_LIVE", False):
        return LiveRegistry()
    default = Path(settings.VAR_DIR) / "nppes"
    return RecordedRegistry(Path(getattr(settings, "NPI_REGISTRY_RECORDINGS", default)))


_TITLES = {"dr", "md", "do", "np", "pa", "phd", "psyd", "jr", "sr", "ii", "iii", "iv", "mr", "ms"}


def name_words(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return [w for w in re.split(r"[^a-z]+", plain) if w and w not in _TITLES]


def name_matches(record: RegistryRecord, *, name: str) -> bool:
    """Reasonably the same person: the registry's last name is one of the listing's words, and
    its first name is too, or shares its initial with the listing's first word. An
    organization's name must match word for word."""
    listing = name_words(name)
    if record.organization:
        return name_words(record.organization) == listing
    last, first = name_words(record.last_name), name_words(record.first_name)
    if not last or not listing or not all(word in listing for word in last):
        return False
    return bool(first) and (first[0] in listing or first[0][0] == listing[0][0])


def registry_verdict(record: RegistryRecord | None, *, name: str) -> tuple[bool, str]:
    """(passed, what the check's detail says) for a lookup of a listing called `name`."""
    if record is None:
        return False, "no such NPI in the registry"
    found = f"{record.name}, {record.credential}" if record.credential else record.name
    what = "; ".join(part for part in (found, record.taxonomy, record.state) if part)
    if not record.active:
        return False, f"{record.status}: {what}"
    if not name_matches(record, name=name):
        return False, f"name differs: {what}"
    return True, what
