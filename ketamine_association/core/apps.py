from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ketamine_association.core"
    label = "core"
    verbose_name = "Core"
