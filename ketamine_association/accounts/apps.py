from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Practitioner accounts: django-allauth's sign-up, verification, login and second
    factor in the site's look, the dashboard, and the admin's second-factor rule."""

    name = "ketamine_association.accounts"
    label = "accounts"

    def ready(self):
        from ketamine_association.core.sections import register_nav

        register_nav(nav_links)


def nav_links() -> dict[str, list[tuple[int, str, str]]]:
    return {"footer": [(20, "Practitioner sign in", "/accounts/login/")]}
