from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "ketamine_association.newsletter"
    label = "newsletter"
