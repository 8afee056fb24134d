"""RSS 2.0 and Atom feeds, for all articles and per category, with absolute links."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from ketamine_association.core.seo import absolute

from . import selectors
from .categories import Category

FEED_SIZE = 30


def _with_author(articles):
    """The list's card fields and the byline, read in the one query (not one per entry)."""
    return articles.only(*selectors.CARD_FIELDS, "author")


class ArticleFeed(Feed):
    title = f"{settings.SITE_NAME}: articles"
    description = (
        "Evidence-based articles on ketamine-assisted therapy for patients and practitioners."
    )

    def link(self):
        return absolute("/blog")

    def feed_url(self):
        return absolute("/blog/feed.xml")

    def items(self):
        return _with_author(selectors.article_list_published(now=timezone.now()))[:FEED_SIZE]

    def item_title(self, item):
        return item.display_title

    def item_description(self, item):
        return item.excerpt

    def item_link(self, item):
        return absolute(item.get_absolute_url())

    def item_guid(self, item):
        return absolute(item.get_absolute_url())

    item_guid_is_permalink = True

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return max(item.updated_at, item.published_at)

    # The feed is the association's; each entry is its writer's, as the article's byline says.
    # With a name and no e-mail, RSS 2.0 gets <dc:creator> (its <author> must be an e-mail
    # address) and Atom <author><name>.
    author_name = settings.SITE_NAME

    def item_author_name(self, item):
        return item.author

    def item_categories(self, item):
        return [Category(item.category).name, *item.tags]


class AtomArticleFeed(ArticleFeed):
    feed_type = Atom1Feed
    subtitle = ArticleFeed.description

    def feed_url(self):
        return absolute("/blog/atom.xml")


class CategoryFeed(ArticleFeed):
    def get_object(self, request, slug):
        category, exact = selectors.category_for_slug(slug=slug, now=timezone.now())
        if category is None or not exact:
            raise Http404("No such category.")
        return category

    def title(self, obj):
        return f"{settings.SITE_NAME}: {obj.name}"

    def description(self, obj):
        return obj.description

    def link(self, obj):
        return absolute(obj.get_absolute_url())

    def feed_url(self, obj):
        return absolute(f"{obj.get_absolute_url()}/feed.xml")

    def items(self, obj):
        published = selectors.article_list_published(now=timezone.now(), category=obj.code)
        return _with_author(published)[:FEED_SIZE]


class AtomCategoryFeed(CategoryFeed):
    feed_type = Atom1Feed

    def subtitle(self, obj):
        return obj.description

    def feed_url(self, obj):
        return absolute(f"{obj.get_absolute_url()}/atom.xml")


def category_feed_links(category: Category) -> list[tuple[str, str, str]]:
    base = category.get_absolute_url()
    return [
        ("application/rss+xml", f"{category.name} (RSS)", f"{base}/feed.xml"),
        ("application/atom+xml", f"{category.name} (Atom)", f"{base}/atom.xml"),
    ]
