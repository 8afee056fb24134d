import pytest

from .smtp import SmtpSink


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


@pytest.fixture(autouse=True)
def _newsletter_settings(settings):
    settings.NEWSLETTER_SEND_RATE = 0
    settings.NEWSLETTER_IP_SALT = "test-salt"
