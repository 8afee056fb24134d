"""Medical review of articles: the frontmatter fields, the review line and its JSON-LD, an
unknown reviewer, a lapsed review (banner, noindex, sitemap, admin queue), the reminder mails
and the export round trip."""

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.models import Article, Reviewer, ReviewReminder
from ketamine_association.articles.review import JOB_NAME, add_months, review_reminders
from ketamine_association.articles.services import article_export, article_import_paths
from ketamine_association.articles.source import SourceInvalid, load_source
from ketamine_association.core.content import content_version
from ketamine_association.core.schedule import daily_jobs, run_daily_jobs
from ketamine_association.core.seo import absolute
from tests.mailqueue import deliver_queued_mail

from .factories import article_text, write

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
FIELD_LINE = 10  # the line the review fields start at: just before `audience:`


def reviewed_text(slug="reviewed", *, by="Jane Doe, MD, PhD", last=None, due=None) -> str:
    fields = f'reviewedBy: "{by}"\n' if by else ""
    fields += f"lastReviewed: {last.isoformat()}\n" if last else ""
    fields += f"reviewDue: {due.isoformat()}\n" if due else ""
    return article_text(slug, **{"audience:": fields + "audience:"})


def imported(tmp_path, images, text, name="reviewed.md"):
    report = article_import_paths(paths=[write(tmp_path / name, text)], images=images)
    assert not report.failed, report.failed
    return report


def jane(**extra) -> Reviewer:
    values = {"name": "Jane Doe", "credentials": "MD, PhD", "slug": "jane-doe"}
    return Reviewer.objects.create(**(values | extra))


def errors_of(path):
    with pytest.raises(SourceInvalid) as caught:
        load_source(path)
    return caught.value.errors


# The frontmatter.


def test_fields_parse_and_review_is_due_twelve_months_later(tmp_path):
    doc = load_source(write(tmp_path / "a.md", reviewed_text(last=dt.date(2026, 5, 1))))
    assert doc.meta.reviewed_by == "Jane Doe, MD, PhD"
    assert doc.meta.last_reviewed == dt.date(2026, 5, 1)
    assert doc.meta.review_due is None
    assert doc.meta.review_due_date == dt.date(2027, 5, 1)
    given = reviewed_text(last=dt.date(2026, 5, 1), due=dt.date(2026, 11, 1))
    assert load_source(write(tmp_path / "b.md", given)).meta.review_due_date == dt.date(2026, 11, 1)
    assert add_months(dt.date(2028, 2, 29), 12) == dt.date(2029, 2, 28)


def test_review_due_without_last_reviewed_names_field_and_line(tmp_path):
    (error,) = errors_of(write(tmp_path / "a.md", reviewed_text(due=dt.date(2027, 1, 1))))
    assert error.field == "reviewDue"
    assert error.line == FIELD_LINE + 1
    assert error.message == "reviewDue: needs lastReviewed, the date of the review it follows"


def test_review_due_before_last_reviewed_is_refused(tmp_path):
    text = reviewed_text(last=dt.date(2026, 5, 1), due=dt.date(2026, 4, 1))
    (error,) = errors_of(write(tmp_path / "a.md", text))
    assert (error.field, error.line) == ("reviewDue", FIELD_LINE + 2)
    assert error.message == "reviewDue: 2026-04-01 is before lastReviewed 2026-05-01"


def test_bad_review_date_and_nameless_reviewer_are_refused(tmp_path):
    text = reviewed_text(by=", MD").replace("audience:", "lastReviewed: someday\naudience:")
    errors = errors_of(write(tmp_path / "a.md", text))
    assert {(e.field, e.line) for e in errors} == {
        ("reviewedBy", FIELD_LINE),
        ("lastReviewed", FIELD_LINE + 1),
    }


# The import, the page and its JSON-LD.


def test_import_stores_the_review(tmp_path, images):
    imported(tmp_path, images, reviewed_text(by="Jane  Doe , MD", last=dt.date(2026, 5, 1)))
    article = Article.objects.get(slug="reviewed")
    assert article.reviewed_by == "Jane  Doe , MD"
    assert article.reviewer_key == "jane doe"
    assert (article.last_reviewed, article.review_due) == (dt.date(2026, 5, 1), dt.date(2027, 5, 1))


def test_unknown_reviewer_is_an_info_finding_and_the_import_succeeds(tmp_path, images):
    report = imported(tmp_path, images, reviewed_text(last=TODAY))
    assert report.count("imported") == 1
    (finding,) = [f for o in report.outcomes for f in o.findings if f.code == "reviewer-unknown"]
    assert finding.severity == "info"
    assert finding.line == FIELD_LINE
    assert finding.message == (
        "no reviewer profile named 'Jane Doe'; the line is shown without a link"
    )
    stored = Article.objects.get(slug="reviewed").findings.filter(code="reviewer-unknown")
    assert stored.count() == 1


def test_known_reviewer_is_no_finding(tmp_path, images):
    jane()
    report = imported(tmp_path, images, reviewed_text(by="JANE DOE, MD", last=TODAY))
    assert not [f for o in report.outcomes for f in o.findings if f.code == "reviewer-unknown"]


def review_line(html: str) -> str:
    match = re.search(r'<p class="meta review-line">(.*?)</p>', html, re.S)
    assert match, "no review line"
    return match.group(1)


def test_page_shows_the_review_line_linking_to_the_reviewer(tmp_path, images, client):
    jane()
    imported(tmp_path, images, reviewed_text(last=dt.date(2026, 5, 1)))
    html = client.get("/blog/reviewed").content.decode()
    line = review_line(html)
    assert re.sub(r"<[^>]+>", "", line) == "Medically reviewed by Jane Doe, MD, PhD on May 1, 2026"
    assert '<a href="/reviewers/jane-doe">Jane Doe, MD, PhD</a>' in line
    assert '<time datetime="2026-05-01">' in line


def test_page_without_a_profile_shows_the_line_without_a_link(tmp_path, images, client):
    imported(tmp_path, images, reviewed_text(last=dt.date(2026, 5, 1)))
    line = review_line(client.get("/blog/reviewed").content.decode())
    assert "<a " not in line and "Medically reviewed by Jane Doe, MD, PhD on" in line


def test_page_without_review_has_no_line(tmp_path, images, client):
    imported(tmp_path, images, article_text("plain"), name="plain.md")
    assert "Medically reviewed" not in client.get("/blog/plain").content.decode()


def jsonld(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def test_jsonld_has_reviewed_by_and_last_reviewed(tmp_path, images, client):
    jane()
    imported(tmp_path, images, reviewed_text(last=dt.date(2026, 5, 1)))
    (page,) = [b for b in jsonld(client.get("/blog/reviewed").content.decode()) if "headline" in b]
    assert page["@type"] == "MedicalWebPage"  # audience: patients
    assert page["lastReviewed"] == "2026-05-01"
    assert page["reviewedBy"] == {
        "@type": "Person",
        "name": "Jane Doe",
        "honorificSuffix": "MD, PhD",
        "url": absolute("/reviewers/jane-doe"),
    }


def test_jsonld_of_an_article_type_without_a_profile(tmp_path, images, client):
    text = reviewed_text(last=dt.date(2026, 5, 1)).replace(
        "audience:", "schema:\n  type: Article\naudience:"
    )
    imported(tmp_path, images, text)
    (page,) = [b for b in jsonld(client.get("/blog/reviewed").content.decode()) if "headline" in b]
    assert page["@type"] == "Article"
    assert page["lastReviewed"] == "2026-05-01"
    assert page["reviewedBy"] == {
        "@type": "Person",
        "name": "Jane Doe",
        "honorificSuffix": "MD, PhD",
    }


# A lapsed review.


def test_lapsed_review_banner_noindex_and_out_of_the_sitemap(tmp_path, images, client):
    imported(tmp_path, images, reviewed_text("lapsed", last=TODAY - dt.timedelta(days=400)))
    imported(tmp_path, images, reviewed_text("current", last=TODAY), name="current.md")
    lapsed = client.get("/blog/lapsed").content.decode()
    assert "This article is due for medical review." in lapsed
    assert f'<time datetime="{(TODAY - dt.timedelta(days=400)).isoformat()}">' in lapsed
    assert '<meta name="robots" content="noindex">' in lapsed
    current = client.get("/blog/current").content.decode()
    assert "due for medical review" not in current
    assert 'name="robots"' not in current
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "/blog/current</loc>" in sitemap
    assert "/blog/lapsed</loc>" not in sitemap
    # still on the blog (and in search): only search engines are told to wait
    assert "/blog/lapsed" in client.get("/blog").content.decode()


def test_due_day_itself_is_not_lapsed(tmp_path, images, client):
    last = TODAY - dt.timedelta(days=10)
    imported(tmp_path, images, reviewed_text("today", last=last, due=TODAY), name="t.md")
    assert "due for medical review" not in client.get("/blog/today").content.decode()
    assert "/blog/today</loc>" in client.get("/sitemap.xml").content.decode()


def test_review_queue_in_the_admin(tmp_path, images, admin_client):
    long_ago = TODAY - dt.timedelta(days=800)
    imported(tmp_path, images, reviewed_text("overdue", last=long_ago), name="a.md")
    soon = reviewed_text("soon", last=long_ago, due=TODAY + dt.timedelta(days=20))
    imported(tmp_path, images, soon, name="b.md")
    later = reviewed_text("later", last=TODAY, due=TODAY + dt.timedelta(days=31))
    imported(tmp_path, images, later, name="c.md")
    imported(tmp_path, images, article_text("unreviewed"), name="d.md")
    response = admin_client.get("/admin/articles/articledueforreview/")
    assert response.status_code == 200
    assert [a.slug for a in response.context["cl"].result_list] == ["overdue", "soon"]
    html = response.content.decode()
    assert "overdue by" in html and "due in 20 days" in html
    assert admin_client.get("/admin/articles/reviewreminder/").status_code == 200


# The reminders.


@pytest.fixture
def due_article(tmp_path, images):
    jane(email="jane@reviewers.example")
    last = dt.date(2026, 5, 1)
    imported(tmp_path, images, reviewed_text(last=last))
    return Article.objects.get(slug="reviewed")


def mails_to(smtp, address="jane@reviewers.example"):
    deliver_queued_mail()
    return [m for m in smtp.received if m.rcpt_tos == [address]]


def test_reviewer_is_mailed_30_days_before_and_on_the_day_once_each(due_article, smtp):
    due = due_article.review_due
    assert due == dt.date(2027, 5, 1)
    assert review_reminders(today=due - dt.timedelta(days=31)) == 0
    assert review_reminders(today=due - dt.timedelta(days=30)) == 1
    assert review_reminders(today=due - dt.timedelta(days=30)) == 0  # the job twice
    assert review_reminders(today=due - dt.timedelta(days=12)) == 0
    (soon,) = mails_to(smtp)
    assert soon.message["Subject"] == (
        "Medical review due on May 1, 2027: Understanding Your Options"
    )
    assert "Last reviewed: May 1, 2026" in soon.part("plain")
    assert "/blog/reviewed" in soon.part("plain")
    assert review_reminders(today=due) == 1
    assert review_reminders(today=due) == 0
    assert review_reminders(today=due + dt.timedelta(days=3)) == 0
    soon, on_the_day = mails_to(smtp)
    assert on_the_day.message["Subject"] == "Medical review due now: Understanding Your Options"
    kinds = set(ReviewReminder.objects.values_list("kind", "review_due"))
    assert kinds == {("soon", due), ("due", due), ("lapsed", due)}


def test_the_daily_job_is_registered_and_mails(due_article, smtp):
    assert JOB_NAME in [job.name for job in daily_jobs()]
    now = dt.datetime(2027, 5, 1, 12, tzinfo=dt.UTC)
    outcomes = {o.name: o.count for o in run_daily_jobs(now=now)}
    assert outcomes[JOB_NAME] == 1
    run_daily_jobs(now=now)
    assert len(mails_to(smtp)) == 1


def test_remind_reviews_command(due_article, smtp, capsys):
    from django.core.management import call_command

    call_command("remind_reviews", "--today", "2027-04-01")
    assert "1 review reminder(s) queued for 2027-04-01" in capsys.readouterr().out
    assert len(mails_to(smtp)) == 1


def test_a_new_review_date_rearms_the_reminders(due_article, tmp_path, images, smtp):
    review_reminders(today=dt.date(2027, 5, 1))
    assert len(mails_to(smtp)) == 1
    imported(tmp_path, images, reviewed_text(last=dt.date(2027, 5, 3)))  # reviewed again
    assert Article.objects.get(slug="reviewed").review_due == dt.date(2028, 5, 3)
    assert review_reminders(today=dt.date(2027, 5, 4)) == 0
    assert review_reminders(today=dt.date(2028, 4, 3)) == 1
    assert len(mails_to(smtp)) == 2


def test_no_reviewer_email_no_mail_but_still_queued(tmp_path, images, smtp, admin_client):
    jane()  # no email
    imported(tmp_path, images, reviewed_text(last=TODAY - dt.timedelta(days=400)))
    assert review_reminders(today=TODAY) == 0
    assert mails_to(smtp) == [] and not smtp.received
    response = admin_client.get("/admin/articles/articledueforreview/")
    assert [a.slug for a in response.context["cl"].result_list] == ["reviewed"]


def test_a_lapse_refreshes_cached_pages_once(due_article):
    before = content_version()
    review_reminders(today=dt.date(2027, 5, 1))  # due today: not lapsed yet
    assert content_version() == before
    review_reminders(today=dt.date(2027, 5, 2))
    bumped = content_version()
    assert bumped != before
    review_reminders(today=dt.date(2027, 5, 3))
    assert content_version() == bumped


# The export round trip.


def test_export_writes_the_review_back_and_reimport_changes_nothing(tmp_path, images):
    given = reviewed_text("given", last=dt.date(2026, 5, 1), due=dt.date(2026, 11, 1))
    imported(tmp_path / "in", images, given, name="given.md")
    imported(tmp_path / "in", images, reviewed_text("default", last=dt.date(2026, 5, 1)), "d.md")
    article_export(directory=tmp_path / "out")
    exported = (tmp_path / "out" / "given.md").read_text()
    assert "reviewedBy: Jane Doe, MD, PhD\n" in exported
    assert "lastReviewed: '2026-05-01'\n" in exported or "lastReviewed: 2026-05-01\n" in exported
    assert "reviewDue:" in exported
    assert "reviewDue:" not in (tmp_path / "out" / "default.md").read_text()
    report = article_import_paths(paths=[tmp_path / "out"], images=ImageStore(root=images.root))
    assert report.count("unchanged") == 2
    assert Article.objects.get(slug="given").review_due == dt.date(2026, 11, 1)
