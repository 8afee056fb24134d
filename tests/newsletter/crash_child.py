"""Helper for the crash test and the benchmark, run in its own process against DATABASE_URL:

python -m tests.newsletter.crash_child seed N     migrate, N confirmed subscribers, 1 campaign
python -m tests.newsletter.crash_child report     delivery states as JSON
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Count
    from django.utils import timezone

    from ketamine_association.newsletter.choices import CampaignStatus, SubscriberStatus
    from ketamine_association.newsletter.models import Campaign, Delivery, Subscriber

    if argv[0] == "seed":
        call_command("migrate", verbosity=0)
        count = int(argv[1])
        Subscriber.objects.bulk_create(
            Subscriber(email=f"r{n:06d}@example.org", status=SubscriberStatus.CONFIRMED)
            for n in range(count)
        )
        Campaign.objects.create(
            subject="Crash-safe issue",
            body_markdown="# News\n\nA paragraph of news, [with a link](/blog).\n",
            status=CampaignStatus.SCHEDULED,
            scheduled_at=timezone.now(),
        )
    elif argv[0] == "report":
        states = Delivery.objects.values("state").annotate(n=Count("id"))
        campaigns = list(Campaign.objects.values_list("status", flat=True))
        print(json.dumps({"states": {r["state"]: r["n"] for r in states}, "campaigns": campaigns}))


if __name__ == "__main__":
    main(sys.argv[1:])
