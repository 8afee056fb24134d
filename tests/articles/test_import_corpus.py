"""The whole pipeline on the real corpus, read in place from ../shared."""

import pytest

from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.models import Article
from ketamine_association.articles.services import article_import_paths

pytestmark = [pytest.mark.django_db, pytest.mark.corpus]


def test_corpus_imports_all_30_and_second_run_is_unchanged(corpus_dir, corpus_images, images):
    store = ImageStore(source=corpus_images, root=images.root)
    first = article_import_paths(paths=[corpus_dir], images=store)
    assert first.count("imported") == 30, [o.errors for o in first.failed]
    assert Article.objects.count() == 30
    second = article_import_paths(paths=[corpus_dir], images=store)
    assert second.count("unchanged") == 30
    assert second.count("imported") == second.count("updated") == 0
