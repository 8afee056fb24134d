"""Structured data of a provider's page: the clinician (Person / Physician) and the practice
(MedicalClinic), as a dict for the `jsonld` template filter. It states only what the listing
holds."""

from __future__ import annotations

from ketamine_association.core.seo import absolute

from .choices import PAIN_CONDITIONS, PHYSICIANS, Condition, Credential
from .models import Provider

SCHEMA = "https://schema.org/"


def provider_specialties(provider: Provider) -> list[str]:
    """schema.org MedicalSpecialty values the listing supports: Psychiatric when it treats a
    mental-health condition, Anesthesia for a nurse anesthetist. Nothing is guessed beyond."""
    specialties = []
    conditions = set(Condition.members(provider.conditions))
    if conditions - set(PAIN_CONDITIONS):
        specialties.append(f"{SCHEMA}Psychiatric")
    if Credential.CRNA in Credential.members(provider.credentials):
        specialties.append(f"{SCHEMA}Anesthesia")
    return specialties


def provider_jsonld(*, provider: Provider) -> dict:
    """Two nodes in one graph, never mixed: the clinician the h1 names (a Person; a Person
    and a Physician for MD/DO credentials, Physician for its medical meaning, Person for
    `worksFor`), with their photo, and the practice (a MedicalClinic) with its address,
    telephone, geo and services. A listing without a practice name is a solo practice known
    by the clinician's name. No opening hours: the listing holds none."""
    credentials = set(Credential.members(provider.credentials))
    is_physician = bool(credentials & set(PHYSICIANS))
    url = absolute(provider.get_absolute_url())
    clinician: dict = {
        "@type": ["Person", "Physician"] if is_physician else "Person",
        "@id": f"{url}#clinician",
        "name": provider.display_name,
        "url": url,
        "worksFor": {"@id": f"{url}#practice"},
    }
    if provider.photo:
        clinician["image"] = absolute(provider.photo.url)
    clinic: dict = {
        "@type": "MedicalClinic",
        "@id": f"{url}#practice",
        "name": provider.practice_name or provider.display_name,
        "url": url,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": provider.address,
            "addressLocality": provider.city,
            "addressRegion": provider.state,
            "postalCode": provider.zip_code,
            "addressCountry": "US",
        },
        "geo": {
            "@type": "GeoCoordinates",
            "latitude": round(provider.latitude, 6),
            "longitude": round(provider.longitude, 6),
        },
        "availableService": [
            {"@type": "MedicalTherapy", "name": label} for label in provider.treatment_labels
        ],
        "isAcceptingNewPatients": provider.accepting_new_patients,
    }
    if provider.phone:
        clinic["telephone"] = provider.phone_href.removeprefix("tel:")
    specialties = provider_specialties(provider)
    if specialties:
        clinic["medicalSpecialty"] = specialties
    if provider.website:
        clinic["sameAs"] = provider.website
    if provider.price_min_usd is not None and provider.price_max_usd is not None:
        clinic["priceRange"] = f"${provider.price_min_usd}–${provider.price_max_usd}"
    return {"@context": "https://schema.org", "@graph": [clinician, clinic]}
