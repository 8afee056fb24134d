from django.apps import AppConfig


class PractitionersConfig(AppConfig):
    name = "ketamine_association.practitioners"
    label = "practitioners"
    verbose_name = "Practitioners"

    def ready(self):
        from ketamine_association.core.schedule import register_daily_job
        from ketamine_association.directory.parts import register_profile_part
        from ketamine_association.directory.signals import demo_providers_seeded

        from .views.claims import claim_link_part

        register_daily_job("practitioners: remind owners of expiring licenses", license_remind_job)

        # "Is this your practice? Claim this listing" on every listing nobody owns.
        register_profile_part(template="practitioners/claim_link.html", context=claim_link_part)
        # A share of the demo directory's listings have an owner (consultation requests).
        demo_providers_seeded.connect(demo_owners_job, dispatch_uid="practitioners-demo-owners")


def license_remind_job(now) -> int:
    """The daily job of `manage.py remind_license_expiry`."""
    from django.utils import timezone

    from .services.listings import license_reminders_send

    return license_reminders_send(today=timezone.localdate(now))


def demo_owners_job(sender, numbers, **kwargs) -> None:
    from .services.demo import demo_owners_assign

    demo_owners_assign(numbers=numbers)
