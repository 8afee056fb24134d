from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "ketamine_association.articles"
    label = "articles"
    verbose_name = "Articles"

    def ready(self):
        from ketamine_association.core.sections import (
            register_home_section,
            register_nav,
            register_not_found_section,
            register_redirect_resolver,
        )
        from ketamine_association.core.sitemaps import register_sitemap

        from . import selectors, views
        from .sitemaps import ARTICLE_SITEMAPS

        for name, section in ARTICLE_SITEMAPS.items():
            register_sitemap(name, section)
        register_home_section(template="articles/_home_latest.html", context=views.home_latest)
        register_not_found_section(
            template="articles/_not_found_latest.html", context=views.not_found_latest
        )
        register_redirect_resolver(views.old_address_target)
        register_nav(selectors.page_nav)

        from ketamine_association.core.schedule import register_daily_job

        from .review import JOB_NAME, run_daily

        register_daily_job(JOB_NAME, run_daily)

        from django.db.models.signals import post_delete

        from .models import Article
        from .search import forget_deleted_article

        post_delete.connect(forget_deleted_article, sender=Article, dispatch_uid="search-forget")
