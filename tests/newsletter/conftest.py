import pytest


@pytest.fixture(autouse=True)
def _newsletter_settings(settings):
    settings.NEWSLETTER_SEND_RATE = 0
    settings.NEWSLETTER_IP_SALT = "test-salt"
