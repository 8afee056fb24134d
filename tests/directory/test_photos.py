"""Provider photos: generated images in, re-encoded square JPEGs without EXIF out; every
unsafe or unreadable file refused with its own message, and nothing stored for it."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from PIL import ExifTags, Image

from ketamine_association.directory.models import Provider
from ketamine_association.directory.photos import (
    MESSAGES,
    PhotoRefused,
    photo_process,
    validate_photo,
)

from .test_admin import URL, form_data


def photo_with_gps(fmt: str = "JPEG", size=(1200, 900)) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.Base.Orientation] = 1
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (34.0, 5.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (118.0, 24.0, 36.0)
    out = io.BytesIO()
    image.save(out, fmt, exif=exif)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A few dozen bytes whose header claims width × height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script></svg>"
)


def refused(upload) -> str:
    with pytest.raises(PhotoRefused) as info:
        photo_process(upload)
    return info.value.code


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_photo_is_reencoded_square_without_exif(fmt):
    original = photo_with_gps(fmt)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # it has GPS
    result = photo_process(SimpleUploadedFile(f"me.{fmt.lower()}", original))
    assert sorted(result.files) == [160, 400]
    for edge, data in result.files.items():
        image = Image.open(io.BytesIO(data))
        assert (image.format, image.size) == ("JPEG", (edge, edge))
        assert not image.getexif() and "exif" not in image.info
        assert b"Exif" not in data and b"TestCam" not in data


def test_text_named_jpg_is_not_an_image():
    assert refused(SimpleUploadedFile("me.jpg", b"just some text, honestly")) == "not-image"


def test_svg_with_script_is_refused_whatever_its_name():
    assert refused(SimpleUploadedFile("me.png", SVG)) == "svg"
    assert refused(SimpleUploadedFile("me.jpg", b"  \n<svg onload=alert(1)/>")) == "svg"


def test_decompression_bombs_are_refused_before_decoding():
    huge = png_declaring(100_000, 100_000)  # Pillow's own guard raises DecompressionBombError
    assert len(huge) < 200 and refused(SimpleUploadedFile("bomb.png", huge)) == "too-many-pixels"
    big = png_declaring(8000, 6000)  # 48 MP: under Pillow's limit, over ours
    assert refused(SimpleUploadedFile("big.png", big)) == "too-many-pixels"


def test_a_50_mb_file_is_refused_by_its_size_before_reading(tmp_path):
    path = tmp_path / "huge.jpg"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: made at once
    with path.open("rb") as handle:
        upload = UploadedFile(handle, name="huge.jpg", size=path.stat().st_size)
        assert refused(upload) == "too-large"
        assert handle.tell() == 0  # not a byte read
    assert refused(SimpleUploadedFile("empty.jpg", b"")) == "empty"


def test_other_image_formats_are_refused():
    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, "GIF")
    assert refused(SimpleUploadedFile("me.gif", out.getvalue())) == "format"


def test_validator_gives_the_clear_message():
    with pytest.raises(ValidationError) as info:
        validate_photo(SimpleUploadedFile("me.png", SVG))
    assert info.value.messages == [MESSAGES["svg"]] and info.value.code == "svg"


# --------------------------------------------------------------------------- the admin


@pytest.fixture
def photos(settings, tmp_path):
    settings.PROVIDER_PHOTOS_ROOT = tmp_path / "photos"
    settings.PROVIDER_PHOTOS_ROOT.mkdir()
    return settings.PROVIDER_PHOTOS_ROOT


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("notes.jpg", b"plain text", "not-image"),
        ("logo.svg", SVG, "svg"),
        ("bomb.png", png_declaring(100_000, 100_000), "too-many-pixels"),
    ],
)
def test_admin_refuses_bad_photos_and_stores_nothing(admin_client, photos, name, content, code):
    upload = SimpleUploadedFile(name, content)
    response = admin_client.post(f"{URL}add/", {**form_data(), "photo": upload})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["photo"] == [MESSAGES[code]]
    assert not list(photos.iterdir()) and not Provider.objects.exists()


@pytest.mark.django_db
def test_admin_stores_only_the_reencoded_sizes(admin_client, client, photos):
    upload = SimpleUploadedFile("me.jpg", photo_with_gps())
    response = admin_client.post(f"{URL}add/", {**form_data(), "photo": upload})
    assert response.status_code == 302, response.context["adminform"].form.errors
    provider = Provider.objects.get()
    stored = sorted(path.name for path in photos.iterdir())
    assert len(stored) == 2 and all(name.endswith(".jpg") for name in stored)
    assert provider.photo.name.endswith("-400.jpg") and provider.photo.name in stored
    for path in photos.iterdir():
        assert b"Exif" not in path.read_bytes()
    html = client.get(provider.get_absolute_url()).content.decode()
    small = provider.photo.name.replace("-400.jpg", "-160.jpg")
    assert f'src="/media/providers/{small}"' in html and small in stored
    assert client.get(f"/media/providers/{small}").status_code == 200
