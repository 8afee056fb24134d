"""Structured data of a provider's page: schema.org Physician or MedicalClinic, as a dict for
the `jsonld` template filter. It states only what the listing holds."""

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
    credentials = set(Credential.members(provider.credentials))
    is_physician = bool(credentials & set(PHYSICIANS))
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Physician" if is_physician else "MedicalClinic",
        "@id": absolute(provider.get_absolute_url()) + "#provider",
        "name": provider.display_name
        if is_physician
        else (provider.practice_name or provider.display_name),
        "url": absolute(provider.get_absolute_url()),
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
        data["telephone"] = provider.phone_href.removeprefix("tel:")
    specialties = provider_specialties(provider)
    if specialties:
        data["medicalSpecialty"] = specialties
    if is_physician and provider.practice_name:
        data["memberOf"] = {"@type": "MedicalOrganization", "name": provider.practice_name}
    if provider.website:
        data["sameAs"] = provider.website
    if provider.price_min_usd is not None and provider.price_max_usd is not None:
        data["priceRange"] = f"${provider.price_min_usd}–${provider.price_max_usd}"
    return data
