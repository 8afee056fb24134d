import os

from django.core.management.base import BaseCommand

from ketamine_association.core.seo import absolute
from ketamine_association.editorial.demo import PASSWORD_ENV, demo_team_ensure


class Command(BaseCommand):
    help = (
        "Create (once) the demo editorial team — an author, an editor and a medical reviewer "
        f"— set their password from ${PASSWORD_ENV} or a new random one, and print it."
    )

    def handle(self, *args, **options):
        team = demo_team_ensure(password=os.environ.get(PASSWORD_ENV) or None)
        source = (
            f"generated for this run; set {PASSWORD_ENV} to choose it"
            if team.generated
            else f"from ${PASSWORD_ENV}"
        )
        lines = [
            "Demo editorial team (fictional accounts; write, review and publish in the browser):",
            f"  Sign in at   {absolute('/accounts/login/')}, then open {absolute('/editor/')}",
        ]
        lines += [f"  {role.label:<17} {email}" for role, email in team.emails.items()]
        lines.append(f"  Password     {team.password}  ({source})")
        self.stdout.write("\n".join(lines))
