from django.apps import AppConfig


class AssociationConfig(AppConfig):
    name = "ketamine_association.association"
    label = "association"

    def ready(self):
        from ketamine_association.core.sections import register_nav, register_slot

        from .views import membership_tiers_slot

        # `<!-- membership-tiers -->` in a content page shows the active tiers there.
        register_slot("membership-tiers", membership_tiers_slot)
        register_nav(nav_links)


def nav_links() -> dict[str, list[tuple[int, str, str]]]:
    from django.urls import reverse

    return {"footer": [(45, "Contact", reverse("association:contact"))]}
