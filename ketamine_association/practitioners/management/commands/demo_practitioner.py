import os

from django.core.management.base import BaseCommand

from ketamine_association.core.seo import absolute
from ketamine_association.practitioners.services.demo import (
    PASSWORD_ENV,
    demo_practitioner_ensure,
)


class Command(BaseCommand):
    help = (
        "Create (once) the demo practitioner's account and verified listing, set its password "
        f"from ${PASSWORD_ENV} or a new random one, and print how to sign in."
    )

    def handle(self, *args, **options):
        demo = demo_practitioner_ensure(password=os.environ.get(PASSWORD_ENV) or None)
        source = (
            f"generated for this run; set {PASSWORD_ENV} to choose it"
            if demo.generated
            else f"from ${PASSWORD_ENV}"
        )
        self.stdout.write(
            "Demo practitioner (a fictional clinician who owns a verified listing):\n"
            f"  Sign in at   {absolute('/accounts/login/')}\n"
            f"  Email        {demo.email}\n"
            f"  Password     {demo.password}  ({source})\n"
            f"  Their page   {absolute(demo.listing.get_absolute_url())}\n"
            f"  Dashboard    {absolute('/dashboard')}"
        )
