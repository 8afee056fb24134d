from django.core.management.base import BaseCommand

from ketamine_association.articles.models import Reviewer

# The reviewer the demo articles name (demo/articles): fictional, for the demo site only.
DEMO_REVIEWER = {
    "name": "Morgan Ellis",
    "credentials": "MD",
    "slug": "morgan-ellis",
    "bio": (
        "A fictional medical reviewer of the demo site, so its review lines link to a "
        "profile. A real site lists its real reviewers here (admin: Reviewers)."
    ),
}


class Command(BaseCommand):
    help = "Create (or refresh) the demo site's fictional medical reviewer; idempotent."

    def handle(self, *args, **options):
        values = {k: v for k, v in DEMO_REVIEWER.items() if k != "slug"}
        _, created = Reviewer.objects.update_or_create(slug=DEMO_REVIEWER["slug"], defaults=values)
        self.stdout.write(f"demo reviewer {'created' if created else 'up to date'}")
