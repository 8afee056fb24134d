from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "ketamine_association.directory"
    label = "directory"
