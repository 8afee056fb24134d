from django.core.management.base import BaseCommand

from ketamine_association.editorial.services import publish_due


class Command(BaseCommand):
    help = "Publish every approved article whose publishedAt has come (for cron, or by hand)."

    def handle(self, *args, **options):
        published = publish_due()
        for manuscript in published:
            self.stdout.write(f"published /blog/{manuscript.slug}")
        self.stdout.write(f"{len(published)} published")
