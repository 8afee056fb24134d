"""Shared fixtures. The real corpus lives in ../shared beside the checkout and is read in place."""

import os
from pathlib import Path

import pytest
from django.core.cache import cache

from ketamine_association.articles.images import ImageStore
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
