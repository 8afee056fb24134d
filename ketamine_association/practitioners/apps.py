from django.apps import AppConfig


class PractitionersConfig(AppConfig):
    name = "ketamine_association.practitioners"
    label = "practitioners"
    verbose_name = "Practitioners"
