"""Categories are an open set of upper-case identifiers; names and slugs are derived."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

# Words whose derived capitalisation would be wrong.
_SPECIAL_WORDS = {"PTSD": "PTSD", "OCD": "OCD", "KAP": "KAP", "FAQ": "FAQ", "AND": "and"}

DESCRIPTIONS = {
    "CLINICAL_RESEARCH": "What the studies show, explained without the jargon.",
    "PATIENT_EDUCATION": "Plain-language guides for people considering or receiving treatment.",
    "PATIENT_STORIES": "First-person accounts of treatment and recovery.",
    "CLINICAL_PRACTICE": "Protocols and practice guidance for clinicians.",
    "PRACTICE_MANAGEMENT": "Running a safe, compliant, sustainable ketamine practice.",
    "TREATMENT_INNOVATIONS": "New ways of delivering and combining ketamine care.",
    "ADVANCED_CLINICAL": "Complex cases and comorbidities for experienced clinicians.",
}


@dataclass(frozen=True)
class Category:
    code: str

    @property
    def slug(self) -> str:
        return category_slug(self.code)

    @property
    def name(self) -> str:
        return category_name(self.code)

    @property
    def description(self) -> str:
        return DESCRIPTIONS.get(self.code, f"Articles filed under {self.name}.")

    def get_absolute_url(self) -> str:
        """The one place a category's address is made: from the URL pattern's own name."""
        return reverse("articles:category", args=[self.slug])


def category_slug(code: str) -> str:
    return code.lower().replace("_", "-")


def category_name(code: str) -> str:
    words = [_SPECIAL_WORDS.get(w, w.capitalize()) for w in code.split("_")]
    if words:
        words[0] = words[0][0].upper() + words[0][1:]
    return " ".join(words)


def category_code_for_slug(slug: str, codes: list[str]) -> tuple[str | None, bool]:
    """(code, exact). A short slug that names one word of exactly one category resolves to it."""
    wanted = slug.strip().lower()
    for code in codes:
        if category_slug(code) == wanted:
            return code, True
    partial = [code for code in codes if wanted in category_slug(code).split("-")]
    if len(partial) == 1:
        return partial[0], False
    return None, False
