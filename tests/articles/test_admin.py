"""The editors' admin: articles with search and filters, findings per article, the report page."""

import pytest

from ketamine_association.articles.models import Article
from ketamine_association.articles.services import article_import_paths

from .factories import article_text, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(tmp_path, images):
    write(tmp_path / "a.md", article_text("admin-one"))
    clean = article_text("admin-two", **{'featuredImage: "/images/articles/admin-two.svg"\n': ""})
    write(tmp_path / "b.md", clean)
    article_import_paths(paths=[tmp_path], images=images)


def test_changelist_search_and_filters(admin_client, imported):
    response = admin_client.get("/admin/articles/article/", {"q": "admin-one"})
    assert response.status_code == 200
    assert b"admin-one" in response.content or b"Understanding Your Options" in response.content
    errors = admin_client.get("/admin/articles/article/", {"findings": "error"})
    assert errors.context["cl"].result_count == 1  # only admin-one lacks its image
    for params in (
        {"category": "PATIENT_EDUCATION"},
        {"audience": "patients"},
        {"findings": "none"},
    ):
        assert admin_client.get("/admin/articles/article/", params).status_code == 200


def test_change_page_shows_findings_and_site_link(admin_client, imported):
    article = Article.objects.get(slug="admin-one")
    response = admin_client.get(f"/admin/articles/article/{article.id}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "image-missing" in html
    assert 'href="/blog/admin-one"' in html


def test_findings_report_lists_by_code_and_severity(admin_client, imported):
    response = admin_client.get("/admin/articles/articlefinding/", {"severity": "error"})
    assert response.status_code == 200
    assert b"image-missing" in response.content
    assert (
        admin_client.get("/admin/articles/articlefinding/", {"code": "image-missing"}).status_code
        == 200
    )
