from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "ketamine_association.directory"
    label = "directory"

    def ready(self):
        from ketamine_association.core.sitemaps import register_sitemap
        from ketamine_association.core.warmup import register_warmup

        from .geo import zip_index
        from .sitemaps import DIRECTORY_SITEMAPS

        for name, section in DIRECTORY_SITEMAPS.items():
            register_sitemap(name, section)

        # The offline ZIP index takes seconds to build under load: a worker builds it at start.
        register_warmup(zip_index)
