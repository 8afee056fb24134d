from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "ketamine_association.directory"
    label = "directory"

    def ready(self):
        from ketamine_association.core.schedule import register_daily_job
        from ketamine_association.core.sections import register_nav
        from ketamine_association.core.sitemaps import register_sitemap
        from ketamine_association.core.warmup import register_warmup

        from .geo import zip_index
        from .sitemaps import DIRECTORY_SITEMAPS

        for name, section in DIRECTORY_SITEMAPS.items():
            register_sitemap(name, section)
        register_nav(nav_links)
        register_daily_job("directory: lapse expired licenses", licenses_expire_job)

        # The offline ZIP index takes seconds to build under load: a worker builds it at start.
        register_warmup(zip_index)


def nav_links() -> dict[str, list[tuple[int, str, str]]]:
    from django.urls import reverse

    return {"header": [(20, "Find a Provider", reverse("directory:find-provider"))]}


def licenses_expire_job(now) -> int:
    from django.utils import timezone

    from .services import verification_expire

    return verification_expire(today=timezone.localdate(now))
