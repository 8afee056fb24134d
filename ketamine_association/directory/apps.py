from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "ketamine_association.directory"
    label = "directory"

    def ready(self):
        from ketamine_association.core.warmup import register_warmup

        from .geo import zip_index

        # The offline ZIP index takes seconds to build under load: a worker builds it at start.
        register_warmup(zip_index)
