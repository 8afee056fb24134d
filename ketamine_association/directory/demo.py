"""Fictional providers for `make run`, the tests and the benchmarks. Never real people.

Where they are: the `zipcodes` data has no population, and no offline population data ships
with our dependencies. The proxy used here is the number of ZIP codes a city has (of every
kind: street, PO box and single-organisation codes), which grows with the mail a city gets
and so, roughly, with its population: New York has 165 codes, a village one. Each provider
picks a city with that weight, then one of the city's active street ZIP codes, and sits within
about a mile and a half of its centre. This over-weights rural places against the census
(a rural code serves fewer people than a city one), which is stated in the README.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from itertools import accumulate

from django.utils.text import slugify

from .choices import (
    DEMO_NPI_PREFIX,
    PHYSICIANS,
    PRESCRIBERS,
    CheckKind,
    Condition,
    Credential,
    Insurance,
    Language,
    State,
    Treatment,
)
from .geo import ZipInfo, lat_band, zip_index
from .validators import npi_check_digit, npi_is_valid
from .verification import CheckFacts, verification_decide

FIRST = (
    "Avery Blake Casey Dana Elliot Frances Gray Harper Indira Jonah Kai Lena Marisol Noor "
    "Omar Priya Quinn Rosa Samir Tessa Uma Victor Wren Xavier Yara Zane Amara Bruno Celeste "
    "Dmitri Esme Felix Greta Hiro Ines Jasper Kiran Lucia Mateo Nadia Oren Paloma Ravi Sofia "
    "Tobias Valeria Wesley Yusuf Zora Anika Benito Clara Desmond Eloise Farid Gemma Hugo"
).split()
LAST = (
    "Abernathy Bellweather Castellano Dunmore Everhart Fairweather Galloway Hollister "
    "Ironwood Jessamine Kettleby Lockridge Montague Northcott Oakhurst Pemberton Quillon "
    "Ravensworth Stonebridge Thistlewood Underhill Vantassel Whitlock Yarborough Zellweger "
    "Ashgrove Brightwater Coldwell Dewhurst Emberly Foxworth Greenleaf Harrowgate Inglewood "
    "Juniper Kingsley Larkspur Merriweather Nettleton Orchardson Penhallow Quarrington "
    "Rosewater Silverthorn Tanglewood Umberfield Valemont Winterbourne Wyndham Yellowdale"
).split()
STREETS = "Oak Maple Cedar Elm Willow Birch Aspen Magnolia Juniper Laurel Spruce Hawthorn".split()
STREET_KINDS = ("St", "Ave", "Blvd", "Rd", "Ln", "Way", "Dr")
PRACTICES = (
    "{last} Ketamine Clinic",
    "{city} Ketamine Center",
    "{street} Mind & Mood",
    "Clearwater Wellness of {city}",
    "{last} Psychiatry",
    "Bright Path Infusion Suites",
)
CREDENTIAL_WEIGHTS = {
    Credential.MD: 30,
    Credential.DO: 8,
    Credential.NP: 20,
    Credential.PA: 7,
    Credential.CRNA: 10,
    Credential.PHD: 5,
    Credential.PSYD: 5,
    Credential.LCSW: 8,
    Credential.LMFT: 4,
    Credential.LPC: 3,
}
COMMON_CONDITIONS = (Condition.TRD, Condition.MDD)
JITTER_DEG = 0.02  # about 1.4 miles of latitude


@dataclass(frozen=True)
class ZipPool:
    zips: list[ZipInfo]
    cum_weights: list[int]


def zip_pool() -> ZipPool:
    """Active street ZIP codes, each weighted by its city's ZIP count / its street ZIPs."""
    index = zip_index()
    by_city: dict[tuple[str, str], list[ZipInfo]] = {}
    all_codes: dict[tuple[str, str], int] = {}
    for info in index.zips.values():
        key = (info.city, info.state)
        all_codes[key] = all_codes.get(key, 0) + 1
        if info.active and info.kind == "STANDARD":
            by_city.setdefault(key, []).append(info)
    zips: list[ZipInfo] = []
    weights: list[int] = []
    for key in sorted(by_city):
        members = sorted(by_city[key], key=lambda z: z.zip_code)
        # A city's weight is its ZIP count, spread evenly over its street codes; scaled by
        # the number of street codes so each weight is a whole number.
        share = all_codes[key] * 1000 // len(members)
        for info in members:
            zips.append(info)
            weights.append(max(share, 1))
    return ZipPool(zips, list(accumulate(weights)))


def demo_npi(number: int) -> str:
    base = f"{DEMO_NPI_PREFIX}{number:08d}"
    return base + str(npi_check_digit(base))


def _pick(rng: random.Random, members: list, k_min: int, k_max: int) -> list:
    return rng.sample(members, rng.randint(k_min, min(k_max, len(members))))


CONDITIONS = list(Condition)
INSURANCE = list(Insurance)
LANGUAGES = list(Language)
STATES = list(State.values)


class DemoFactory:
    """Deterministic for a given seed: the same seed and start give the same providers."""

    def __init__(self, *, seed: int, pool: ZipPool):
        self.rng = random.Random(seed)
        self.pool = pool
        self.credentials = list(CREDENTIAL_WEIGHTS)
        self.credential_weights = list(CREDENTIAL_WEIGHTS.values())
        self.city_slugs: dict[str, str] = {}

    def values(self, *, number: int, now, today: dt.date | None = None) -> dict:
        """The field values of demo provider `number` (its NPI is derived from it), and under
        "_checks" the checks to record for it."""
        rng = self.rng
        today = today or dt.date.today()
        place = self.pool.zips[
            rng.choices(range(len(self.pool.zips)), cum_weights=self.pool.cum_weights)[0]
        ]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}"
        primary = rng.choices(self.credentials, self.credential_weights)[0]
        credentials = {primary}
        if primary in PHYSICIANS and rng.random() < 0.1:
            credentials.add(Credential.PHD)
        prescriber = primary in PRESCRIBERS or primary == Credential.CRNA
        telehealth = rng.random() < 0.35
        treatments = set()
        if prescriber:
            treatments |= {
                t
                for t, p in ((Treatment.IV_INFUSION, 0.6), (Treatment.INTRAMUSCULAR, 0.3))
                if rng.random() < p
            }
            if primary != Credential.CRNA and rng.random() < 0.35:
                treatments.add(Treatment.ESKETAMINE)
            if telehealth and primary != Credential.CRNA and rng.random() < 0.5:
                treatments.add(Treatment.AT_HOME)
        if not prescriber or rng.random() < 0.25:
            treatments.add(Treatment.KAP)
        if not treatments:
            treatments.add(Treatment.IV_INFUSION)
        conditions = set(_pick(rng, CONDITIONS, 1, 6)) | {
            c for c in COMMON_CONDITIONS if rng.random() < 0.8
        }
        insurance = _pick(rng, INSURANCE, 1, 5) if rng.random() < 0.6 else []
        low = rng.randrange(150, 700, 25)
        latitude = place.latitude + rng.uniform(-JITTER_DEG, JITTER_DEG)
        longitude = place.longitude + rng.uniform(-JITTER_DEG, JITTER_DEG) / max(
            math.cos(math.radians(place.latitude)), 0.2
        )
        longitude = (longitude + 180) % 360 - 180
        home = State.bit(place.state)
        tele_states = home | State.mask(_pick(rng, STATES, 0, 3)) if telehealth else 0
        languages = (
            {Language.EN}
            | ({Language.ES} if rng.random() < 0.25 else set())
            | (set(_pick(rng, LANGUAGES, 1, 1)) if rng.random() < 0.08 else set())
        )
        street = rng.choice(STREETS)
        npi = demo_npi(number)
        # Demo checks, recorded as VerificationCheck rows by provider_seed ("_checks"): an NPI
        # format check that really runs, and for half of those a fictional license check.
        checks = []
        if rng.random() < 0.6:
            checks.append(CheckFacts(CheckKind.NPI_FORMAT, npi_is_valid(npi), now))
            if rng.random() < 0.5:
                expires = today + dt.timedelta(days=rng.randrange(60, 900))
                checks.append(
                    CheckFacts(
                        CheckKind.LICENSE,
                        True,
                        now,
                        expires_on=expires,
                        detail="Fictional demo check",
                        license_state=place.state,
                        license_number=f"DEMO-{number:08d}",
                    )
                )
        decision = verification_decide(checks=checks, today=today)
        codes = [member.value for member in Credential if member in credentials]
        city_slug = self.city_slugs.get(place.city) or self.city_slugs.setdefault(
            place.city, slugify(place.city)
        )
        return {
            "slug": f"{first}-{last}-{'-'.join(codes)}-{npi}".lower(),
            "name": name,
            "credentials": Credential.mask(credentials),
            "npi": npi,
            "license_states": home,
            "license_number": f"DEMO-{number:08d}",
            "practice_name": rng.choice(PRACTICES).format(
                last=last, city=place.city, street=street
            ),
            "address": f"{rng.randint(10, 9899)} {street} {rng.choice(STREET_KINDS)}",
            "city": place.city,
            "city_slug": city_slug,
            "state": place.state,
            "zip_code": place.zip_code,
            "latitude": round(latitude, 6),
            "longitude": round(longitude, 6),
            "lat_band": lat_band(round(latitude, 6)),
            "phone": f"(555) 555-01{rng.randint(0, 99):02d}",
            "website": f"https://example.com/demo/{npi}" if rng.random() < 0.5 else "",
            "treatments": Treatment.mask(treatments),
            "conditions": Condition.mask(conditions),
            "insurance": Insurance.mask(insurance),
            "price_min_usd": low,
            "price_max_usd": low + rng.randrange(0, 500, 25),
            "telehealth": telehealth,
            "telehealth_states": tele_states,
            "languages": Language.mask(languages),
            "accepting_new_patients": rng.random() < 0.8,
            "is_member": rng.random() < 0.3,
            "verification_status": decision.status,
            "verification_method": decision.method,
            "verified_at": decision.decided_at,
            "_checks": checks,
            "bio": (
                f"{name} is a fictional clinician generated for the demo directory. This "
                f"profile, its practice in {place.city} and its contact details are not real."
            ),
            "is_demo": True,
            "updated_at": now,
        }
