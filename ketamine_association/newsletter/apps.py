from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "ketamine_association.newsletter"
    label = "newsletter"

    def ready(self):
        from ketamine_association.core.sections import register_nav

        register_nav(nav_links)


def nav_links() -> dict[str, list[tuple[int, str, str]]]:
    from django.urls import reverse

    return {"footer": [(95, "Newsletter sign-up", reverse("newsletter:signup"))]}
