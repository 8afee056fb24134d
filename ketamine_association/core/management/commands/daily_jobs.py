from django.core.management.base import BaseCommand

from ketamine_association.core.schedule import (
    can_schedule,
    daily_jobs,
    daily_jobs_schedule,
    run_daily_jobs,
)


class Command(BaseCommand):
    help = (
        "Run the daily jobs now (purges, license expiry and reminders), or with --schedule "
        "make sure their daily run waits in the task queue (the worker runs it every day)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule", action="store_true", help="queue the daily run instead (idempotent)"
        )
        parser.add_argument("--list", action="store_true", help="name the jobs and stop")

    def handle(self, *args, schedule: bool, list: bool, **options):  # noqa: A002
        if list:
            for job in daily_jobs():
                self.stdout.write(job.name)
            return
        if schedule:
            when = daily_jobs_schedule()
            if when is None:
                self.stderr.write(
                    "This task backend cannot keep a task until its time (can_schedule "
                    f"{can_schedule()}): run `manage.py daily_jobs` from cron once a day."
                )
                raise SystemExit(1)
            self.stdout.write(f"Daily jobs scheduled; next run {when:%Y-%m-%d %H:%M} UTC")
            return
        failed = 0
        for outcome in run_daily_jobs():
            if outcome.count is None:
                failed += 1
                self.stderr.write(f"{outcome.name}: failed ({outcome.error})")
            else:
                self.stdout.write(f"{outcome.name}: {outcome.count}")
        if failed:
            raise SystemExit(1)
