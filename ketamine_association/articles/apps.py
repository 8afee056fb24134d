from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "ketamine_association.articles"
    label = "articles"
    verbose_name = "Articles"
