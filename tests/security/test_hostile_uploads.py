"""Uploads added with the practitioners' side: a REMS confirmation (application form) and a
profile photo (the admin and, later, the dashboard). Each hostile file is refused with its
message and nothing is stored; what is stored is never reachable by a URL it should not be."""

from __future__ import annotations

import struct
import zlib

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from ketamine_association.directory.photos import PhotoRefused, photo_process
from ketamine_association.practitioners.models import Application
from tests.practitioners.test_apply import form_data

pytestmark = pytest.mark.django_db
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )  # noqa: E501


@pytest.fixture
def signed_in(client):
    user = get_user_model().objects.create_user(username="applicant", email="a@clinic.example")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("rems.pdf", SVG, "Upload a PDF, PNG or JPEG file."),
        ("rems.pdf", b"MZ\x90\x00 an executable", "Upload a PDF, PNG or JPEG file."),
        ("rems.pdf", b"%PDF-" + b"0" * (5 * 2**20), "larger than 5 MB"),
        ("../../etc/passwd", b"root:x:0:0", "Upload a PDF, PNG or JPEG file."),
    ],
)
def test_a_hostile_rems_upload_is_refused_and_nothing_is_stored(signed_in, name, content, message):
    data = form_data(treatments=["esketamine"], rems_certified="yes")
    data["rems_document"] = SimpleUploadedFile(name, content, "application/pdf")
    response = signed_in.post("/provider-directory/apply", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Application.objects.exists()


def test_a_stored_rems_confirmation_has_a_random_name_inside_its_root_and_no_url(signed_in):
    data = form_data(treatments=["esketamine"], rems_certified="yes")
    data["rems_document"] = SimpleUploadedFile("../../evil.pdf", b"%PDF-1.7\n", "application/pdf")
    assert signed_in.post("/provider-directory/apply", data).status_code == 302
    stored = Application.objects.get().rems_document
    assert "/" not in stored.name and "evil" not in stored.name
    assert stored.path.startswith(stored.storage.location)
    with pytest.raises(ValueError, match="not accessible via a URL"):
        stored.url  # noqa: B018 - no URL serves these files


@pytest.mark.parametrize(
    "content, message",
    [
        (SVG, "SVG"),
        (b"just some text, named .jpg", "not an image"),
        (png_declaring(50_000, 50_000), "pixels"),
        (b"\xff\xd8\xff" + b"\0" * (5 * 2**20 + 1), "5 MB"),
    ],
)
def test_a_hostile_photo_is_refused_with_its_message(content, message):
    with pytest.raises(PhotoRefused) as refused:
        photo_process(SimpleUploadedFile("photo.jpg", content, "image/jpeg"))
    assert message.lower() in str(refused.value).lower()


# --- the editor's article images (editorial/forms.py: the same read_image as photos) --------


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("chart.png", SVG, "SVG"),
        ("bomb.png", png_declaring(20_000, 20_000), "megapixels"),
        ("../../../etc/cron.d/x.png", b"not an image at all", "not an image we can read"),
    ],
)
def test_a_hostile_article_image_is_refused_and_nothing_is_stored(
    settings, tmp_path, name, content, message
):
    from django.test import Client

    from ketamine_association.editorial.roles import Role
    from tests.editorial.factories import account, manuscript

    settings.ARTICLE_IMAGES_ROOT = tmp_path / "images"
    author = account("image-author", Role.AUTHOR)
    made = manuscript(author)
    client = Client()
    client.force_login(author)
    response = client.post(
        f"/editor/{made.pk}/images",
        {"image": SimpleUploadedFile(name, content, "image/png"), "alt": "A chart"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"]["image"])
    assert not any(tmp_path.rglob("*.*"))  # nothing written, in the root or beside it


def test_a_stored_article_image_has_a_plain_name_inside_its_root_whatever_it_was_called(
    settings, tmp_path
):
    import io

    from django.test import Client
    from PIL import Image

    from ketamine_association.editorial.roles import Role
    from tests.editorial.factories import account, manuscript

    settings.ARTICLE_IMAGES_ROOT = tmp_path / "images"
    author = account("image-author", Role.AUTHOR)
    made = manuscript(author)
    picture = io.BytesIO()
    Image.new("RGB", (4, 4), "teal").save(picture, "PNG")
    client = Client()
    client.force_login(author)
    response = client.post(
        f"/editor/{made.pk}/images",
        {"image": SimpleUploadedFile("../../x y<script>.png", picture.getvalue()), "alt": "A"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    stored = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].parent == tmp_path / "images"
    assert "<" not in stored[0].name and ".." not in stored[0].name
