from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "ketamine_association.newsletter"
    label = "newsletter"

    def ready(self):
        from ketamine_association.core.schedule import register_daily_job
        from ketamine_association.core.sections import register_nav

        register_nav(nav_links)
        register_daily_job("newsletter: erase unconfirmed signups", subscribers_purge_job)


def nav_links() -> dict[str, list[tuple[int, str, str]]]:
    from django.urls import reverse

    return {"footer": [(95, "Newsletter sign-up", reverse("newsletter:signup"))]}


def subscribers_purge_job(now):
    from .services import subscribers_purge

    return subscribers_purge(now=now)
