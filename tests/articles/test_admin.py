"""The editors' admin: articles with search and filters, findings per article, the report page."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from ketamine_association.articles.models import Article, Redirect
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
    # the query is echoed in the search box, so check the rows found, not the page text
    assert [a.slug for a in response.context["cl"].result_list] == ["admin-one"]
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


@pytest.fixture
def staff_client(client):
    """A staff editor (not a superuser) who may view articles and redirects, logged in
    through the admin login form."""
    user = get_user_model().objects.create_user(
        "editor", "editor@example.org", "a-long-editor-passphrase", is_staff=True
    )
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="articles",
            codename__in=["view_article", "view_redirect", "view_articlefinding"],
        )
    )
    response = client.post(
        "/admin/login/",
        {"username": "editor", "password": "a-long-editor-passphrase", "next": "/admin/"},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    return client


def rename(tmp_path, images, old, new):
    path = write(tmp_path / "renamed.md", article_text(old))
    article_import_paths(paths=[path], images=images)
    write(path, article_text(old).replace(f'slug: "{old}"', f'slug: "{new}"'))
    report = article_import_paths(paths=[path], images=images)
    assert report.outcomes[0].status == "updated"
    return Article.objects.get(slug=new)


def test_change_page_shows_slug_history(staff_client, tmp_path, images):
    article = rename(tmp_path, images, "history-old", "history-new")
    response = staff_client.get(f"/admin/articles/article/{article.id}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Slug history" in html
    assert "/blog/history-old" in html
    (redirect,) = Redirect.objects.filter(article=article)
    inline = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is Redirect)
    (form,) = list(inline)
    shown = {f.field["name"]: f.contents() for fieldset in form for line in fieldset for f in line}
    assert shown["old_path"] == "/blog/history-old"
    assert shown["source"] == "Slug changed"
    assert shown["created_at"] != "-"
    assert not inline.has_add_permission and not inline.has_change_permission


def test_article_without_history_shows_no_old_address(staff_client, tmp_path, images):
    article_import_paths(
        paths=[write(tmp_path / "a.md", article_text("no-history"))], images=images
    )
    article = Article.objects.get(slug="no-history")
    response = staff_client.get(f"/admin/articles/article/{article.id}/change/")
    assert response.status_code == 200
    inline = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is Redirect)
    assert list(inline) == []


def test_redirect_list_is_searchable_by_old_path_and_read_only(staff_client, tmp_path, images):
    article = rename(tmp_path, images, "list-old", "list-new")
    text = article_text("other").replace("tags:", 'redirectFrom: ["/old/other-page"]\ntags:')
    article_import_paths(paths=[write(tmp_path / "o.md", text)], images=images)
    response = staff_client.get("/admin/articles/redirect/")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    html = response.content.decode()
    assert f'href="/admin/articles/article/{article.id}/change/"' in html
    found = staff_client.get("/admin/articles/redirect/", {"q": "list-old"})
    assert [r.old_path for r in found.context["cl"].result_list] == ["/blog/list-old"]
    assert "/old/other-page" not in found.content.decode()
    # read-only: no add page, and the change page does not save
    assert staff_client.get("/admin/articles/redirect/add/").status_code == 403
    redirect = Redirect.objects.get(old_path="/blog/list-old")
    change_url = f"/admin/articles/redirect/{redirect.id}/change/"
    page = staff_client.get(change_url)
    assert page.status_code == 200 and "/blog/list-old" in page.content.decode()
    posted = staff_client.post(change_url, {"old_path": "/blog/hijacked", "source": "rename"})
    assert posted.status_code == 403
    assert Redirect.objects.get(id=redirect.id).old_path == "/blog/list-old"


def test_superuser_cannot_add_or_edit_redirects(admin_client, tmp_path, images):
    rename(tmp_path, images, "super-old", "super-new")
    assert admin_client.get("/admin/articles/redirect/add/").status_code == 403
    redirect = Redirect.objects.get()
    posted = admin_client.post(
        f"/admin/articles/redirect/{redirect.id}/change/",
        {"old_path": "/blog/hijacked", "source": "rename", "article": redirect.article_id},
    )
    assert posted.status_code == 403
    assert Redirect.objects.get().old_path == "/blog/super-old"
