"""Files and browser edits together, nothing lost (issue 16, item 5), through the real
commands and the real workflow: a file whose article was changed in the browser after its
last import is refused (naming both times) while the other files still import, and
`--force` makes the file live while a revision keeps the browser's text; a file equal to the
live article is "unchanged" whatever the browser's pending draft; and an export after
browser edits imports back with nothing changed, alone and beside the real corpus."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from ketamine_association.articles.models import Article, Reviewer
from ketamine_association.articles.source import parse_source
from ketamine_association.editorial import services
from ketamine_association.editorial.models import Manuscript, State, Transition
from tests.articles.factories import write

from .factories import article_source, reviewer_account, user_with_role

pytestmark = pytest.mark.django_db

SLUG = "first-visit"
OTHER = "second-visit"
ON_DISK = article_source(SLUG)
IN_BROWSER = ON_DISK.replace("A friend can drive you home", "A neighbour can drive you home")
ON_DISK_LATER = ON_DISK.replace("Rest for the remainder", "Take it easy for the remainder")


def run_import(*paths, force: bool = False) -> tuple[int, dict]:
    """import_articles --json: (exit status, its JSON summary)."""
    out = StringIO()
    args = [str(p) for p in paths] + ["--json"] + (["--force"] if force else [])
    try:
        call_command("import_articles", *args, stdout=out)
        status = 0
    except CommandError as exc:
        status = exc.returncode
    return status, json.loads(out.getvalue())


# What the import keeps of the bytes it last read (its fast path's key), not of the article: an
# "unchanged" file spelled otherwise (an export) may record its own bytes there.
BOOKKEEPING = {"raw_hash"}


def state_of_everything() -> dict:
    """Every row the import or the workflow could touch, whole (bookkeeping aside)."""
    article_fields = [
        f.attname for f in Article._meta.concrete_fields if f.attname not in BOOKKEEPING
    ]
    return {
        "articles": sorted(Article.objects.values_list(*article_fields)),
        "manuscripts": sorted(Manuscript.objects.values_list()),
        "revisions": sorted(Manuscript.history.values_list()),
        "transitions": sorted(Transition.objects.values_list()),
    }


def when(moment) -> str:
    """A time as the refusal names it (local time, to the second)."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z")


@pytest.fixture
def team():
    return {"editor": user_with_role("editor", "desk"), "reviewer": reviewer_account("ada")}


@pytest.fixture
def files(tmp_path, images) -> Path:
    """Two article files on disk, imported once."""
    folder = tmp_path / "files"
    write(folder / f"{SLUG}.md", ON_DISK)
    write(folder / f"{OTHER}.md", article_source(OTHER, title="A Second Visit"))
    status, summary = run_import(folder)
    assert (status, summary["imported"]) == (0, 2), summary
    return folder


def browser_edit(editor, source: str = IN_BROWSER) -> Manuscript:
    manuscript = services.manuscript_for_article(
        article=Article.objects.get(slug=SLUG), user=editor
    )
    services.manuscript_save(manuscript=manuscript, user=editor, source=source)
    manuscript.refresh_from_db()
    return manuscript


def publish(manuscript, team) -> None:
    services.transition(manuscript=manuscript, user=team["editor"], action="submit")
    services.transition(manuscript=manuscript, user=team["reviewer"], action="approve")
    services.transition(manuscript=manuscript, user=team["editor"], action="publish")
    manuscript.refresh_from_db()
    assert manuscript.state == State.PUBLISHED


@pytest.mark.parametrize("case", ["draft in the browser", "browser's version published"])
def test_a_file_older_than_a_browser_edit_is_refused_unless_forced(case, files, team):
    manuscript = browser_edit(team["editor"])
    if case == "draft in the browser":
        # The file changed on disk too: both sides moved since the last import.
        write(files / f"{SLUG}.md", ON_DISK_LATER)
        file_text = ON_DISK_LATER
    else:
        publish(manuscript, team)  # the live article is now the browser's
        file_text = ON_DISK  # the very file imported before, untouched
    browser_text = manuscript.source
    write(files / f"{OTHER}.md", article_source(OTHER, title="A Second Visit, Revised"))
    before = state_of_everything()
    edited, synced = manuscript.edited_at, manuscript.file_synced_at
    assert edited > synced

    status, summary = run_import(files)
    assert status == 1
    assert summary["updated"] == 1  # the other file of the same run still imports
    assert Article.objects.get(slug=OTHER).title == "A Second Visit, Revised"
    [failed] = summary["failed"]
    assert failed["file"].endswith(f"{SLUG}.md")
    message = failed["errors"][0]["message"]
    assert f"changed in the browser at {when(edited)}" in message
    assert f"after its last import at {when(synced)}" in message
    # Nothing of the refused article changed: the live article, the manuscript, its history.
    after = state_of_everything()
    other_id = Article.objects.get(slug=OTHER).id
    assert [a for a in after["articles"] if a[0] != other_id] == [
        a for a in before["articles"] if a[0] != other_id
    ]
    assert after["manuscripts"] == before["manuscripts"]
    assert after["revisions"] == before["revisions"]
    assert after["transitions"] == before["transitions"]

    status, summary = run_import(files, force=True)
    assert (status, summary["updated"], summary["failed"]) == (0, 1, [])
    file_doc = parse_source(file_text, path=Path(f"{SLUG}.md"))
    live = Article.objects.get(slug=SLUG)
    assert live.content_hash == file_doc.content_hash  # the file's version is live
    manuscript.refresh_from_db()
    assert manuscript.content_hash == file_doc.content_hash  # the manuscript follows it
    assert manuscript.state == State.PUBLISHED and manuscript.article_id == live.id
    assert manuscript.file_synced_at > edited
    newest = manuscript.history.order_by("-history_id").first()
    assert newest.history_change_reason == "imported from a file with --force"
    # The browser's text is still there, a revision of its own.
    assert manuscript.history.filter(source=browser_text).exists()
    # And a plain import of the same file now is no conflict: unchanged.
    assert run_import(files)[1]["unchanged"] == 2


def test_the_file_equal_to_the_live_article_is_unchanged_beside_a_pending_draft(files, team):
    manuscript = browser_edit(team["editor"])
    assert manuscript.state == State.DRAFT
    before = state_of_everything()
    status, summary = run_import(files)
    assert (status, summary["unchanged"], summary["failed"]) == (0, 2, [])
    assert state_of_everything() == before  # the draft, its revisions, the live article
    manuscript.refresh_from_db()
    assert manuscript.source == IN_BROWSER and manuscript.state == State.DRAFT


def export_and_reimport(tmp_path, *, images=None) -> tuple[int, dict, int]:
    out = tmp_path / "exported"
    call_command("export_articles", str(out), stdout=StringIO())
    exported = len(list(out.rglob("*.md")))
    args = [out] if images is None else [out, "--images", images]
    before = state_of_everything()
    status, summary = run_import(*args)
    assert state_of_everything() == before, "the import of the export changed the database"
    return status, summary, exported


def test_browser_edits_exported_then_imported_change_nothing(files, team, tmp_path):
    publish(browser_edit(team["editor"]), team)
    # And an article written in the browser only, published.
    born, _ = services.manuscript_create(
        user=team["editor"], source=article_source("browser-born", title="Born in the Browser")
    )
    publish(born, team)
    assert Article.objects.count() == 3
    status, summary, exported = export_and_reimport(tmp_path)
    assert exported == 3
    assert status == 0
    assert (summary["imported"], summary["updated"], summary["unchanged"]) == (0, 0, 3)
    assert summary["failed"] == []
    exported_text = (tmp_path / "exported" / f"{SLUG}.md").read_text()
    assert "A neighbour can drive you home" in exported_text
    assert "reviewedBy:" in exported_text  # the approval's frontmatter went out too


def test_round_trip_with_the_corpus_imported_first(
    corpus_dir, corpus_images, images, team, tmp_path
):
    status, summary = run_import(corpus_dir, "--images", corpus_images)
    assert status == 0, summary["failed"]
    corpus_count = summary["imported"]
    assert corpus_count >= 20
    # A corpus article edited in the browser and published (one the gate passes: an error
    # finding blocks approval), and a new one written there.
    article = Article.objects.exclude(findings__severity="error").order_by("slug").first()
    manuscript = services.manuscript_for_article(article=article, user=team["editor"])
    services.manuscript_save(
        manuscript=manuscript,
        user=team["editor"],
        source=manuscript.source.rstrip("\n") + "\n\nA closing line added in the browser.\n",
    )
    publish(manuscript, team)
    born, _ = services.manuscript_create(user=team["editor"], source=article_source("born"))
    publish(born, team)
    total = Article.objects.count()
    status, summary, exported = export_and_reimport(tmp_path, images=str(corpus_images))
    assert status == 0, summary["failed"]
    assert summary["unchanged"] == exported
    assert (summary["imported"], summary["updated"]) == (0, 0)
    assert exported >= total


def test_the_article_admin_opens_the_browser_editor_and_links_reviewers_to_accounts(
    files, admin_client
):
    article = Article.objects.get(slug=SLUG)
    link = f'href="{reverse("editorial:open", args=[SLUG])}"'
    assert link == 'href="/editor/open/first-visit"'
    listing = admin_client.get(reverse("admin:articles_article_changelist"))
    assert link in listing.content.decode()
    change = admin_client.get(reverse("admin:articles_article_change", args=[article.pk]))
    assert link in change.content.decode()
    assert 'name="title"' not in change.content.decode()  # the content stays read-only here
    # A reviewer's profile names the account that approves under it.
    account = user_with_role("reviewer", "grace")
    response = admin_client.post(
        reverse("admin:articles_reviewer_add"),
        {
            "name": "Grace Holloway",
            "credentials": "MD",
            "slug": "grace-holloway",
            "user": account.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Reviewer.objects.get(slug="grace-holloway").user == account
    form = admin_client.get(reverse("admin:articles_reviewer_add")).content.decode()
    assert 'name="user"' in form and "vForeignKeyRawIdAdminField" in form


def test_export_is_where_files_and_browser_agree_again_so_an_edited_export_imports(
    files, team, tmp_path
):
    """Export, edit the file, import: the way to merge the browser's work back into files.
    Without the export the same edit is refused (the browser changed the article since)."""
    manuscript = browser_edit(team["editor"])
    publish(manuscript, team)
    refused_status, _ = run_import(files)  # the old file: refused, as above
    assert refused_status == 1
    out = tmp_path / "exported"
    call_command("export_articles", str(out), stdout=StringIO())
    exported = out / f"{SLUG}.md"
    edited = exported.read_text().replace("A neighbour can drive you home", "Someone drives")
    exported.write_text(edited)
    status, summary = run_import(exported)
    assert (status, summary["updated"], summary["failed"]) == (0, 1, []), summary
    live = Article.objects.get(slug=SLUG)
    assert "Someone drives" in live.body_markdown
    manuscript.refresh_from_db()
    assert "Someone drives" in manuscript.source and manuscript.state == State.PUBLISHED


def test_an_export_does_not_clear_a_pending_browser_draft(files, team, tmp_path):
    """An export writes what is live; a draft not yet published is the browser's alone, so
    a changed file is still refused after the export."""
    publish(browser_edit(team["editor"]), team)
    pending = browser_edit(team["editor"], source=IN_BROWSER.replace("neighbour", "relative"))
    assert pending.state == State.DRAFT
    out = tmp_path / "exported"
    call_command("export_articles", str(out), stdout=StringIO())
    exported = out / f"{SLUG}.md"
    exported.write_text(exported.read_text().replace("neighbour", "cousin"))
    status, summary = run_import(exported)
    assert status == 1 and "changed in the browser" in summary["failed"][0]["errors"][0]["message"]
    pending.refresh_from_db()
    assert "relative" in pending.source and pending.state == State.DRAFT
