"""Small article files of our own writing for tests."""

from pathlib import Path

VALID = """---
title: "Understanding Your Options"
slug: "{slug}"
excerpt: "A short, plain guide to the questions worth asking before any new treatment, written for people who are just starting to read about it."
category: "PATIENT_EDUCATION"
author: "Test Editor"
publishedAt: "2026-02-03"
featuredImage: "/images/articles/{slug}.svg"
tags: ["options", "questions"]
audience: "patients"
---

# Understanding Your Options

## Table of Contents

- [Before You Start](#before-you-start)
- [Questions to Ask](#questions-to-ask)

## Before You Start

Write down how you have felt over the last month. Bring the list to your visit.

## Questions to Ask

Ask who will be with you during treatment and how they watch over you.

## Frequently Asked Questions

### Do I need a referral?

Many clinics ask for one. Call the clinic and ask what they need.

### Can I bring someone?

Most clinics welcome a support person in the waiting room.
"""


# Prose far above and well below a grade-8 reading level, for the readability checks.
HARD = (
    "Notwithstanding considerable methodological heterogeneity, contemporary investigations "
    "characterising glutamatergic neuromodulation demonstrate substantially accelerated "
    "symptomatic amelioration relative to conventional monoaminergic pharmacotherapeutic "
    "interventions administered contemporaneously. "
)
EASY = "We sat in a calm room. A nurse came to check on us. She was kind and we felt safe. "


def article_text(slug: str = "understanding-options", **replace: str) -> str:
    text = VALID.replace("{slug}", slug)
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
