"""Shared fixtures. The real corpus lives in ../shared beside the checkout and is read in place."""

import os
import threading
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.signals import request_finished
from django.db import connection
from django_tasks.signals import task_enqueued

from ketamine_association.articles.images import ImageStore
from tests.mailqueue import deliver_queued_mail, is_mail_callback
from tests.newsletter.smtp import SmtpSink

# The browser fixtures (chromium through Playwright) serve tests/browser/ and tests/security/.
pytest_plugins = ["tests.browser.fixtures"]

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus" / "articles"
CORPUS_IMAGES = SHARED / "corpus" / "images"
SEED = SHARED / "seed" / "science-of-hope-ketamine-brain.md"
DEMO = ROOT / "demo"


def _shared(path: Path) -> Path:
    if not path.exists():
        if os.environ.get("REQUIRE_SHARED"):
            pytest.fail(f"{path} is missing, and REQUIRE_SHARED is set (CI needs ../shared)")
        pytest.skip(f"{path} is absent: the real corpus is read from ../shared beside the clone")
    return path


@pytest.fixture
def corpus_dir() -> Path:
    return _shared(CORPUS)


@pytest.fixture
def corpus_images() -> Path:
    return _shared(CORPUS_IMAGES)


@pytest.fixture
def seed_path() -> Path:
    return _shared(SEED)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


@pytest.fixture(autouse=True)
def _mail_worker(request):
    """After each request of Django's test client, the mail it queued is sent, as a prompt
    task worker would (tests/mailqueue.py); a test that watches the queue itself overrides
    this fixture."""
    if not (
        request.node.get_closest_marker("django_db") or DB_FIXTURES & set(request.fixturenames)
    ):
        yield
        return

    test_thread = threading.get_ident()  # the live server's requests end in its own threads
    enqueued = []

    def deliver(sender, **kwargs):
        # Only when the request queued mail (waiting for the commit, or enqueued in a test
        # that commits): a request that sends none costs no query, so query counts hold.
        if threading.get_ident() == test_thread and (
            enqueued or any(is_mail_callback(entry[1]) for entry in connection.run_on_commit)
        ):
            enqueued.clear()
            deliver_queued_mail()

    def note(sender, **kwargs):
        enqueued.append(True)

    request_finished.connect(deliver, dispatch_uid="tests-mail-worker")
    task_enqueued.connect(note, dispatch_uid="tests-mail-enqueued")
    yield
    request_finished.disconnect(dispatch_uid="tests-mail-worker")
    task_enqueued.disconnect(dispatch_uid="tests-mail-enqueued")


@pytest.fixture
def served_images(tmp_path, settings) -> Path:
    """An empty folder the site serves /images/articles/ from, for one test."""
    root = tmp_path / "served-images"
    root.mkdir()
    settings.ARTICLE_IMAGES_ROOT = root
    return root


@pytest.fixture
def images(served_images) -> ImageStore:
    return ImageStore(root=served_images)


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free localhost port; Django sends through it."""
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 10
        settings.NEWSLETTER_SEND_RATE = 0
        sink.recorder.port = sink.port
        yield sink.recorder
