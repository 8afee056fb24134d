"""Security checklist, IDOR: an object reached by an id or a token is shown only to whoever
holds the right to it.

- Newsletter links: subscriber A's confirm, unsubscribe and preferences links altered to name
  subscriber B (B's id put inside A's signed token, B's id signed with A's key, A's nonce in a
  token for B) are refused on GET, HEAD and POST: the link-problem page, none of B's data
  (email, name, links) in the answer, nothing of B changed, no mail to B.
- Admin: every page of every registered model, for a real object of it, sends a visitor and a
  signed-in user who is not staff (even one with every permission) to the login page, never
  the data; a staff member without the model's permissions gets 403.
"""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils.http import int_to_base36

from ketamine_association.newsletter import tokens
from ketamine_association.newsletter.choices import SubscriberStatus
from ketamine_association.newsletter.models import ConsentEvent, Subscriber
from tests.newsletter import factories

from .site_content import (
    PASSWORD,
    build_site,
    one_of_every_admin_model,
    recipient_link,
    staff_user,
)

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ("changelist", "add", "change", "delete", "history")


# --- newsletter links --------------------------------------------------------------------


def pending(email: str, nonce: str, first_name: str = "") -> Subscriber:
    person = factories.subscriber(email, status=SubscriberStatus.PENDING)
    person.confirm_nonce, person.first_name = nonce, first_name
    person.save()
    return person


def swap_id(token: str, victim_id: int) -> str:
    """A recipient token `<id>.<signature>` with the id part replaced."""
    return f"{int_to_base36(victim_id)}.{token.split('.', 1)[1]}"


def swap_confirm_id(token: str, victim_id: int) -> str:
    """A confirm token `<payload>:<timestamp>:<signature>` with the id inside the payload
    replaced and A's timestamp and signature kept."""
    payload, rest = token.split(":", 1)
    data = json.loads(signing.b64_decode(payload.encode()))
    data["s"] = victim_id
    encoded = signing.b64_encode(json.dumps(data, separators=(",", ":")).encode()).decode()
    return f"{encoded}:{rest}"


def forged_links(attacker: Subscriber, victim: Subscriber, attacker_pending, victim_pending):
    links = {}
    for purpose in (tokens.UNSUBSCRIBE, tokens.PREFERENCES):
        own = tokens.recipient_token(purpose=purpose, subscriber_id=attacker.pk, key=attacker.key)
        links[f"{purpose}: B's id in A's token"] = f"/newsletter/{purpose}/" + swap_id(
            own, victim.pk
        )
        links[f"{purpose}: B's id signed with A's key"] = (
            f"/newsletter/{purpose}/"
            + tokens.recipient_token(purpose=purpose, subscriber_id=victim.pk, key=attacker.key)
        )
    own = tokens.confirm_token(
        subscriber_id=attacker_pending.pk, nonce=attacker_pending.confirm_nonce
    )
    links["confirm: B's id in A's token"] = "/newsletter/confirm/" + swap_confirm_id(
        own, victim_pending.pk
    )
    # Signed by the site, so only the nonce check stands between A and B's subscription.
    links["confirm: A's nonce for B"] = "/newsletter/confirm/" + tokens.confirm_token(
        subscriber_id=victim_pending.pk, nonce=attacker_pending.confirm_nonce
    )
    return links


def victim_state(*people: Subscriber) -> tuple:
    ids = [p.pk for p in people]
    return (
        list(Subscriber.objects.filter(pk__in=ids).order_by("pk").values()),
        list(ConsentEvent.objects.filter(subscriber_id__in=ids).values_list("id", flat=True)),
    )


def test_a_subscribers_links_altered_to_name_another_are_refused(client, mailoutbox):
    attacker = factories.subscriber("alice@example.org")
    victim = factories.subscriber("bea.private@example.org", interests=["research"])
    Subscriber.objects.filter(pk=victim.pk).update(first_name="Beatrix")
    attacker_pending = pending("alice.new@example.org", "nonce-of-alice")
    victim_pending = pending("bea.new@example.org", "nonce-of-bea", first_name="Beatrix")
    secrets_of_b = [
        b"bea.private@example.org",
        b"bea.new@example.org",
        b"Beatrix",
        recipient_link(tokens.UNSUBSCRIBE, victim).encode(),
        recipient_link(tokens.PREFERENCES, victim).encode(),
    ]
    before = victim_state(victim, victim_pending)

    for name, path in forged_links(attacker, victim, attacker_pending, victim_pending).items():
        for method in ("get", "head", "post"):
            data = {"action": "leave"} if method == "post" else {}
            response = getattr(client, method)(path, data)
            assert response.status_code in (200, 400, 404), (name, method)
            assert response.templates[0].name == "newsletter/link_problem.html", (name, method)
            for secret in secrets_of_b:
                assert secret not in response.content, (name, method, secret)

    assert victim_state(victim, victim_pending) == before
    assert not [m for m in mailoutbox if set(m.to) & {victim.email, victim_pending.email}]
    # The genuine links of A still work: the refusals above were the alterations' doing.
    assert client.get(recipient_link(tokens.PREFERENCES, attacker)).status_code == 200


# --- admin ---------------------------------------------------------------------------------


def admin_objects(tmp_path, settings) -> dict:
    one_of_every_admin_model(build_site(tmp_path, settings))
    return {model: model._default_manager.order_by("pk").first() for model in admin.site._registry}


def admin_urls(objects: dict) -> list[tuple[str, str]]:
    """(url, a text of the object that must not leak) for every admin page of every model."""
    urls = [("/admin/", "")]
    for model, obj in objects.items():
        meta = model._meta
        for page in ADMIN_PAGES:
            args = [obj.pk] if page in ("change", "delete", "history") else []
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_{page}", args=args)
            urls.append((url, str(obj)))
    return urls


def signed_in(user) -> Client:
    client = Client()
    client.get("/admin/login/")
    response = client.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    # A non-staff user is refused by the admin login form; sign them in on the site instead.
    if not user.is_staff:
        assert response.status_code == 200
        client.force_login(user)
    else:
        assert response.status_code == 302
    return client


@pytest.mark.parametrize("who", ["visitor", "signed-in user, not staff, every permission"])
def test_admin_objects_send_non_staff_to_the_login_page(who, tmp_path, settings):
    objects = admin_objects(tmp_path, settings)
    if who == "visitor":
        client = Client()
    else:
        user = get_user_model().objects.create_user(
            username="member", password=PASSWORD, is_staff=False, is_superuser=True
        )
        client = signed_in(user)
    for url, text in admin_urls(objects):
        response = client.get(url)
        assert response.status_code == 302, (who, url, response.status_code)
        assert response["Location"].startswith("/admin/login/?next="), (who, url)
        assert not response.content, (who, url)
        login_page = client.get(response["Location"])
        assert login_page.status_code == 200
        if text:
            assert text.encode() not in login_page.content, (who, url)


def test_admin_objects_are_403_for_staff_without_the_permission(tmp_path, settings):
    # Signed in first: a successful login clears django-axes' failed attempts, which are
    # objects of the admin too.
    client = signed_in(staff_user("intern"))
    objects = admin_objects(tmp_path, settings)
    for url, text in admin_urls(objects)[1:]:  # the index is theirs, empty
        response = client.get(url)
        assert response.status_code == 403, (url, response.status_code)
        assert text.encode() not in response.content, url
