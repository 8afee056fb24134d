import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ketamine_association.newsletter.choices import CampaignStatus
from ketamine_association.newsletter.models import Campaign
from ketamine_association.newsletter.sending import campaign_send, campaigns_send_due


class Command(BaseCommand):
    help = (
        "Send the campaigns that are due, over SMTP, in batches at the configured rate. "
        "Safe to kill and run again: every message goes out once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, help="only this campaign (scheduled/sending)")
        parser.add_argument("--batch-size", type=int, help="rows per claim and SMTP connection")
        parser.add_argument("--rate", type=float, help="messages a second (0: no limit)")

    def handle(self, *args, campaign, batch_size, rate, **options):
        bar = None

        def on_start(total: int, done: int) -> None:
            nonlocal bar
            if bar is not None:
                bar.close()
            bar = tqdm(
                total=total,
                initial=done,
                unit="msg",
                file=sys.stderr,
                disable=not sys.stderr.isatty(),
            )

        def on_progress(n: int) -> None:
            if bar is not None:
                bar.update(n)

        options = {
            "batch_size": batch_size,
            "rate": rate,
            "on_start": on_start,
            "on_progress": on_progress,
        }
        if campaign is not None:
            chosen = Campaign.objects.filter(pk=campaign).first()
            if chosen is None or chosen.status not in (
                CampaignStatus.SCHEDULED,
                CampaignStatus.SENDING,
            ):
                raise CommandError(f"campaign {campaign}: no scheduled or sending campaign", 2)
            reports = [campaign_send(campaign=chosen, **options)]
        else:
            reports = campaigns_send_due(**options)
        if bar is not None:
            bar.close()
        for r in reports:
            state = "finished" if r.finished else "open"
            self.stdout.write(
                f"campaign {r.campaign_id}: {r.sent} sent, {r.retrying} to retry, "
                f"{r.bounced} bounced, {r.failed} failed, {r.skipped} skipped ({state})"
            )
        if not reports:
            self.stdout.write("no campaign is due")
        errors = [r.error for r in reports if r.error]
        if errors:
            raise CommandError(errors[0], returncode=1)
