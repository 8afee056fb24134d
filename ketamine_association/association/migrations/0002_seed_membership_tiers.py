"""Three membership tiers to start from; staff change names, prices and wording in the admin."""

from django.db import migrations

TIERS = [
    {
        "slug": "associate",
        "name": "Associate",
        "price_usd": 95,
        "description": (
            "For a licensed clinician who supports ketamine-assisted treatment in a team, "
            "such as a nurse or a psychotherapist, without prescribing it."
        ),
        "included": (
            "A listing in the provider directory\n"
            "The verification badge, once staff have checked your license and NPI\n"
            "Practice resources: screening, informed consent, monitoring and follow-up\n"
            "The practitioner edition of the newsletter"
        ),
        "display_order": 10,
    },
    {
        "slug": "practitioner",
        "name": "Practitioner",
        "price_usd": 295,
        "description": "For one licensed clinician who provides ketamine-assisted treatment.",
        "included": (
            "A listing in the provider directory, with the treatments you offer\n"
            "The verification badge, once staff have checked your license, NPI and, for "
            "esketamine, REMS certification\n"
            "Consultation requests from patients, sent to you by email\n"
            "Practice resources, and updates when guidance or regulations change\n"
            "The practitioner edition of the newsletter"
        ),
        "display_order": 20,
    },
    {
        "slug": "practice",
        "name": "Practice / Clinic",
        "price_usd": 795,
        "description": (
            "For a practice or clinic: one membership for its locations and up to five clinicians."
        ),
        "included": (
            "A directory listing for each location\n"
            "Listings for up to five clinicians, each verified before it shows the badge\n"
            "Consultation requests from patients, to the practice or to each clinician\n"
            "Practice resources for the whole team, and updates when guidance changes\n"
            "The practitioner edition of the newsletter for every listed clinician"
        ),
        "display_order": 30,
    },
]


def seed(apps, schema_editor):
    MembershipTier = apps.get_model("association", "MembershipTier")
    for tier in TIERS:
        MembershipTier.objects.get_or_create(
            slug=tier["slug"], defaults={**tier, "billing_period": "year", "active": True}
        )


def unseed(apps, schema_editor):
    MembershipTier = apps.get_model("association", "MembershipTier")
    MembershipTier.objects.filter(slug__in=[tier["slug"] for tier in TIERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("association", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
