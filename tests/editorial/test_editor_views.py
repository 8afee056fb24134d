"""The browser editor's views: the file survives the form (unknown keys in their order), a
draft with a YAML error is saved with the error at its line, the check endpoint, image
uploads, who may see what, and which workflow buttons each person gets."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from ketamine_association.articles.source import parse_frontmatter, split_frontmatter
from ketamine_association.editorial import forms, services
from ketamine_association.editorial.models import Manuscript, State
from ketamine_association.editorial.roles import Role

from .factories import account, manuscript, reviewer_account, source

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(text: str) -> dict:
    """What the editor's form posts for a file (the page's initial values)."""
    data = dict(forms.decompose(text).initial)
    return {key: "" if value is None else value for key, value in data.items()}


def keys_of(text: str) -> list[str]:
    yaml_text, _, _ = split_frontmatter(text)
    return list(parse_frontmatter(yaml_text)[0])


@pytest.fixture
def author():
    return account("author", Role.AUTHOR)


# --- the file through the form ----------------------------------------------------------


def test_the_page_shows_main_fields_and_the_other_keys_as_yaml(author):
    made = manuscript(author)
    page = signed_in(author).get(f"/editor/{made.pk}")
    assert page.status_code == 200
    assert page["Cache-Control"] == "private, no-store"
    html = unescape(page.content.decode())
    assert 'id="id_title"' in html and 'value="Sleep Before a Session"' in html
    extra = re.search(r'<textarea name="extra"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert "weirdKey: " in extra and "customBlock:" in extra and "second: [a, b]" in extra
    assert "title:" not in extra and "tags:" not in extra  # those have their own fields


def test_a_save_keeps_unknown_keys_and_their_order(author):
    made = manuscript(author)
    before = keys_of(made.source)
    data = form_data(made.source)
    data["title"] = "Sleep Well Before a Session"
    data["extra"] += "\nnewKey: added last"
    response = signed_in(author).post(f"/editor/{made.pk}", data)
    assert response.status_code == 302
    made.refresh_from_db()
    after = keys_of(made.source)
    assert after == [*before, "newKey"]  # each old key where it was, the new one after
    yaml_text, _, _ = split_frontmatter(made.source)
    values = parse_frontmatter(yaml_text)[0]
    assert values["customBlock"] == {"first": 1, "second": ["a", "b"]}
    assert values["weirdKey"] == "kept as written"
    assert values["title"] == "Sleep Well Before a Session"


def test_an_unchanged_form_makes_no_new_revision(author):
    made = manuscript(author)
    revisions = made.history.count()
    signed_in(author).post(f"/editor/{made.pk}", form_data(made.source))
    made.refresh_from_db()
    assert made.history.count() == revisions
    assert made.source == source()


def test_a_yaml_error_is_saved_and_shown_at_its_field_with_its_line(author):
    made = manuscript(author)
    data = form_data(made.source)
    data["extra"] = data["extra"].replace('weirdKey: "kept as written"', 'weirdKey: "unclosed')
    client = signed_in(author)
    assert client.post(f"/editor/{made.pk}", data).status_code == 302
    made.refresh_from_db()
    assert 'weirdKey: "unclosed' in made.source  # nothing lost
    assert made.findings[0]["code"] == "invalid-source"
    line = made.findings[0]["line"]
    assert made.source.split("\n")[line - 1].startswith("weirdKey:")
    page = unescape(client.get(f"/editor/{made.pk}").content.decode())
    note = re.search(r'<p class="nl-error" id="extra-note">(.*?)</p>', page, re.S).group(1)
    assert f"Line {line} of the file" in note and "invalid YAML" in note
    assert 'weirdKey: "unclosed' in page  # the text is in the form as typed
    assert re.search(r'<textarea name="extra"[^>]*aria-invalid="true"', page)


def test_a_slug_taken_by_another_manuscript_keeps_the_text_and_says_so(author):
    manuscript(author, source("first-one"))
    made = manuscript(author, source("second-one"))
    data = form_data(made.source)
    data.update(slug="first-one", body=data["body"] + "\nA new paragraph.\n")
    response = signed_in(author).post(f"/editor/{made.pk}", data)
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert "another manuscript has the slug" in html and "A new paragraph." in html
    assert "A new paragraph." not in Manuscript.objects.get(pk=made.pk).source


def test_a_new_article_is_created_from_the_form(author):
    data = form_data(source("a-new-one"))
    response = signed_in(author).post("/editor/new", data)
    made = Manuscript.objects.get(slug="a-new-one")
    assert response.status_code == 302 and response["Location"] == f"/editor/{made.pk}"
    assert made.created_by == author and made.state == State.DRAFT
    assert keys_of(made.source)[:4] == ["title", "slug", "category", "author"]


# --- findings and the check endpoint -----------------------------------------------------


def test_a_body_finding_links_to_its_line_in_the_body_textarea(author):
    text = source(**{"Go to bed at your usual time.": "See [the tips](#nowhere)."})
    made = manuscript(author, text)
    page = signed_in(author).get(f"/editor/{made.pk}").content.decode()
    file_line = next(i for i, row in enumerate(text.split("\n"), 1) if "#nowhere" in row)
    body_line = services.manuscript_check(text).doc.body_line
    link = re.search(r'<a class="ed-goto" href="#id_body"[^>]*>line (\d+)</a>', page)
    assert link and int(link.group(1)) == file_line
    assert f'data-line="{file_line - body_line + 1}"' in link.group(0)
    assert "anchor-missing" in page


def test_the_check_endpoint_answers_the_unsaved_texts_findings_and_html(author):
    made = manuscript(author)
    data = form_data(made.source)
    data["body"] += "\nA link to [nowhere](#nowhere).\n"
    response = signed_in(author).post(f"/editor/{made.pk}/check", data)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    payload = response.json()
    assert [f["code"] for f in payload["findings"] if f["severity"] == "error"] == [
        "anchor-missing"
    ]
    assert payload["findings"][0]["element"] == "id_body"
    assert '<h2 id="why-rest-helps">' in payload["html"]
    assert "anchor-missing" in payload["findings_html"]
    made.refresh_from_db()
    assert "#nowhere" not in made.source  # a check saves nothing


def test_the_full_page_preview_is_the_article_page_marked_private(author):
    made = manuscript(author)
    data = {**form_data(made.source), "full": "1"}
    response = signed_in(author).post(f"/editor/{made.pk}/check", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert '<meta name="robots" content="noindex">' in html
    assert "Preview — not published" in html
    assert 'class="article-body"' in html and "Sleep Before a Session" in html


# --- images ------------------------------------------------------------------------------


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), "teal").save(out, "PNG")
    return out.getvalue()


def test_an_uploaded_png_lands_where_imported_images_do(author, settings, tmp_path):
    settings.ARTICLE_IMAGES_ROOT = tmp_path / "images"
    made = manuscript(author)
    upload = SimpleUploadedFile("My Photo.png", png_bytes(), "image/png")
    response = signed_in(author).post(
        f"/editor/{made.pk}/images",
        {"image": upload, "alt": "A teal square"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    payload = response.json()
    name = payload["url"].removeprefix("/images/articles/")
    assert payload["markdown"] == f"![A teal square](/images/articles/{name})"
    assert re.fullmatch(r"sleep-before-a-session-my-photo-[0-9a-f]{10}\.png", name)
    stored = settings.ARTICLE_IMAGES_ROOT / name
    assert Image.open(stored).format == "PNG"
    assert Client().get(payload["url"]).status_code == 200  # served like an imported image


@pytest.mark.parametrize(
    ("upload", "alt", "field", "message"),
    [
        (("notes.png", b"plain text, not a picture"), "Alt", "image", "not an image we can read"),
        (("big.png", b"\x89PNG" + b"\0" * (5 * 1024 * 1024)), "Alt", "image", "larger than 5 MB"),
        (("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "Alt", "image", "SVG"),
        (("ok.png", None), "", "alt", "alt text is required"),
    ],
)
def test_a_bad_upload_is_a_field_error(author, settings, tmp_path, upload, alt, field, message):
    settings.ARTICLE_IMAGES_ROOT = tmp_path / "images"
    made = manuscript(author)
    name, content = upload
    file = SimpleUploadedFile(name, content if content is not None else png_bytes())
    client = signed_in(author)
    as_json = client.post(
        f"/editor/{made.pk}/images", {"image": file, "alt": alt}, HTTP_ACCEPT="application/json"
    )
    assert as_json.status_code == 400
    assert message in " ".join(as_json.json()["errors"][field])
    file.seek(0)
    page = client.post(f"/editor/{made.pk}/images", {"image": file, "alt": alt})
    assert page.status_code == 400
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', unescape(page.text))
    assert not (tmp_path / "images").exists() or not any((tmp_path / "images").iterdir())


# --- who may see what ---------------------------------------------------------------------


def editor_urls(pk: int) -> list[tuple[str, str]]:
    return [
        ("get", f"/editor/{pk}"),
        ("post", f"/editor/{pk}"),
        ("post", f"/editor/{pk}/check"),
        ("post", f"/editor/{pk}/transition"),
        ("post", f"/editor/{pk}/images"),
        ("post", f"/editor/{pk}/share"),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(author):
    made = manuscript(author)
    for method, url in [("get", "/editor/"), ("get", "/editor/new"), *editor_urls(made.pk)]:
        response = getattr(Client(), method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url


def test_an_account_without_a_role_and_another_author_get_404(author):
    made = manuscript(author)
    nobody = signed_in(account("nobody"))
    other = signed_in(account("other-author", Role.AUTHOR))
    for method, url in [("get", "/editor/"), ("get", "/editor/new"), *editor_urls(made.pk)]:
        assert getattr(nobody, method)(url).status_code == 404, url
    for method, url in editor_urls(made.pk):
        assert getattr(other, method)(url).status_code == 404, url
    missing = editor_urls(made.pk + 1000)
    for method, url in missing:  # the same answer as a manuscript that does not exist
        assert getattr(other, method)(url).status_code == 404, url
    assert made.slug not in other.get("/editor/").content.decode()
    made.refresh_from_db()
    assert made.state == State.DRAFT and made.history.count() == 1


def test_every_post_needs_its_csrf_token(author):
    made = manuscript(author)
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    posts = [url for method, url in editor_urls(made.pk) if method == "post"]
    for url in [*posts, "/editor/new"]:
        assert client.post(url, {}).status_code == 403, url


def test_the_index_groups_by_state_and_a_reviewer_sees_in_review_first(author):
    made = manuscript(author)
    services.transition(manuscript=made, user=author, action="submit")
    manuscript(author, source("still-a-draft"))
    reviewer = signed_in(reviewer_account())
    html = reviewer.get("/editor/").content.decode()
    headings = re.findall(r'<h2 id="state-(\w+)">', html)
    assert headings[0] == "in_review" and "draft" in headings
    in_review = html.split('id="state-in_review"')[1].split("<h2")[0]
    assert made.slug in in_review and "still-a-draft" not in in_review
    assert "New article" not in html  # reviewers do not write
    assert "New article" in signed_in(author).get("/editor/").content.decode()


# --- the workflow buttons --------------------------------------------------------------------


def buttons(client: Client, pk: int) -> set[str]:
    html = client.get(f"/editor/{pk}").content.decode()
    return set(re.findall(r'<button[^>]*name="action" value="(\w+)"', html))


def test_buttons_are_only_the_actions_each_person_may_take(author):
    made = manuscript(author)
    editor = signed_in(account("editor", Role.EDITOR))
    reviewer = signed_in(reviewer_account())
    own = signed_in(author)
    assert buttons(own, made.pk) == {"submit"}
    assert buttons(editor, made.pk) == {"submit", "archive"}
    assert buttons(reviewer, made.pk) == set()
    services.transition(manuscript=made, user=author, action="submit")
    assert buttons(own, made.pk) == set()
    assert buttons(reviewer, made.pk) == {"approve", "request_changes"}
    assert buttons(editor, made.pk) == {"archive"}


def test_a_refused_step_is_a_message_and_changes_nothing(author):
    made = manuscript(author)
    client = signed_in(author)
    response = client.post(f"/editor/{made.pk}/transition", {"action": "publish"}, follow=True)
    assert "You cannot publish this manuscript now." in unescape(response.content.decode())
    services.transition(manuscript=made, user=author, action="submit")
    reviewer = signed_in(reviewer_account())
    response = reviewer.post(
        f"/editor/{made.pk}/transition", {"action": "request_changes", "comment": " "}, follow=True
    )
    assert "Say what should change" in unescape(response.content.decode())
    made.refresh_from_db()
    assert made.state == State.IN_REVIEW


def test_a_change_request_comment_is_shown_to_the_author(author):
    made = manuscript(author)
    services.transition(manuscript=made, user=author, action="submit")
    reviewer = signed_in(reviewer_account())
    reviewer.post(
        f"/editor/{made.pk}/transition",
        {"action": "request_changes", "comment": "Cite the sleep study in the second section."},
    )
    html = signed_in(author).get(f"/editor/{made.pk}").content.decode()
    box = html.split('id="change-request-heading"')[1].split("</section>")[0]
    assert "Cite the sleep study in the second section." in box


# --- a published article, opened in the editor -------------------------------------------


def test_an_editor_opens_a_published_article_by_a_post(tmp_path):
    from ketamine_association.articles.images import ImageStore
    from ketamine_association.articles.models import Article
    from ketamine_association.articles.services import article_import_paths
    from tests.articles.factories import write

    write(tmp_path / "files" / "from-a-file.md", source("from-a-file"))
    article_import_paths(paths=[tmp_path / "files"], images=ImageStore(root=tmp_path / "img"))
    article = Article.objects.get(slug="from-a-file")
    editor = signed_in(account("editor", Role.EDITOR))
    offer = editor.get("/editor/open/from-a-file")
    assert offer.status_code == 200 and "Open in the editor" in offer.content.decode()
    assert not Manuscript.objects.exists()  # a GET made nothing
    opened = editor.post("/editor/open/from-a-file")
    made = Manuscript.objects.get(article=article)
    assert opened["Location"] == f"/editor/{made.pk}" and made.state == State.PUBLISHED
    assert editor.get("/editor/open/from-a-file")["Location"] == f"/editor/{made.pk}"
    assert editor.get("/editor/open/no-such-article").status_code == 404
    for role in (Role.AUTHOR, Role.REVIEWER):
        other = signed_in(account(f"a-{role}", role))
        assert other.post("/editor/open/from-a-file").status_code == 404


def test_a_reviewer_previews_the_saved_text_whatever_is_posted(author):
    made = manuscript(author)
    services.transition(manuscript=made, user=author, action="submit")
    reviewer = signed_in(reviewer_account())
    page = reviewer.get(f"/editor/{made.pk}").content.decode()
    assert re.search(r'<textarea name="body"[^>]*disabled', page)  # read-only for them
    assert ">Save</button>" not in page
    full = reviewer.post(f"/editor/{made.pk}/check", {"full": "1", "body": "Other text."})
    assert "Why Rest Helps" in full.content.decode()
    assert "Other text." not in full.content.decode()


def test_a_blank_new_article_is_not_judged_before_it_is_written(author):
    page = signed_in(author).get("/editor/new").content.decode()
    assert "invalid-source" not in page and "should have at least" not in page
    assert "The quality gate checks the article when you save it." in page
    assert '<option value="" selected>Choose a category</option>' in page


def test_an_editor_finds_a_published_article_to_open_from_the_index(tmp_path):
    from ketamine_association.articles.images import ImageStore
    from ketamine_association.articles.services import article_import_paths
    from tests.articles.factories import write

    write(tmp_path / "files" / "from-a-file.md", source("from-a-file"))
    write(tmp_path / "files" / "another-one.md", source("another-one"))
    article_import_paths(paths=[tmp_path / "files"], images=ImageStore(root=tmp_path / "img"))
    editor = signed_in(account("editor", Role.EDITOR))
    page = editor.get("/editor/", {"q": "from file"}).content.decode()
    assert 'href="/editor/open/from-a-file"' in page
    assert "/editor/open/another-one" not in page
    editor.post("/editor/open/from-a-file")  # now in the editor: listed there, not here
    again = editor.get("/editor/", {"q": "from file"}).content.decode()
    assert 'href="/editor/open/from-a-file"' not in again and "No published article" in again
    author_page = signed_in(account("writer", Role.AUTHOR)).get("/editor/", {"q": "from"})
    assert 'id="ed-q"' not in author_page.content.decode()
    assert "/editor/open/" not in author_page.content.decode()
