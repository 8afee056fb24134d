from django.apps import AppConfig


class AssociationConfig(AppConfig):
    name = "ketamine_association.association"
    label = "association"

    def ready(self):
        from ketamine_association.core.schedule import register_daily_job
        from ketamine_association.core.sections import register_nav, register_slot

        from .views import membership_tiers_slot

        # `<!-- membership-tiers -->` in a content page shows the active tiers there.
        register_slot("membership-tiers", membership_tiers_slot)
        register_nav(nav_links)
        register_daily_job("association: delete closed contact messages", contact_purge_job)


def nav_links() -> dict[str, list[tuple[int, str, str]]]:
    from django.urls import reverse

    return {"footer": [(45, "Contact", reverse("association:contact"))]}


def contact_purge_job(now):
    from .services import contact_purge

    return contact_purge(now=now)
