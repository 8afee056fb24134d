"""Social cards (issue 18, item 1): every article and page gets a 1200×630 PNG/JPEG that
og:image, twitter:image and the JSON-LD image name, drawn at import only when its inputs
change, served by the images view and written by the static export."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from PIL import Image

from ketamine_association.articles.export import site_export
from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.models import Article, Page
from ketamine_association.articles.services import article_import_paths

from .factories import article_text, write
from .test_article_page import Page as Html

pytestmark = pytest.mark.django_db
SEED_SLUG = "science-of-hope-ketamine-brain"
SITE_PAGE = """---
title: "Visiting our office"
path: "/visit"
description: "Where the association's office is, when it is open, and how to reach it by train, by bus or by car, with step-free access from the street."
updatedAt: "2026-11-30"
---

# Visiting our office

The office is open on weekdays.
"""


def head_of(client: Client, path: str) -> Html:
    response = client.get(path)
    assert response.status_code == 200, path
    return Html(response.content.decode())


def fetch_card(client: Client, url: str) -> Image.Image:
    """The card behind an absolute og:image URL, fetched from the site as a crawler would."""
    parts = urlsplit(url)
    response = client.get(parts.path)
    assert response.status_code == 200, url
    assert response["Content-Type"] in ("image/png", "image/jpeg")
    data = b"".join(response.streaming_content)
    image = Image.open(io.BytesIO(data))
    assert image.format == {"image/png": "PNG", "image/jpeg": "JPEG"}[response["Content-Type"]]
    return image


def assert_shareable(client: Client, page: Html) -> Image.Image:
    url = page.meta["og:image"]
    assert url.startswith("https://") and url.endswith((".png", ".jpg")), url
    assert page.meta["twitter:image"] == url
    assert page.meta["twitter:card"] == "summary_large_image"
    assert page.meta["og:image:width"] == "1200" and page.meta["og:image:height"] == "630"
    assert page.meta["og:image:alt"]
    main = page.jsonld[0]
    assert main["image"] == url
    image = fetch_card(client, url)
    assert image.size == (1200, 630)
    return image


def cards(root: Path) -> dict[str, int]:
    folder = root / "cards"
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} if folder.is_dir() else {}


def png(color=(200, 30, 30), size=(800, 800)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg(size=(2000, 900)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 40)).save(out, "JPEG")
    return out.getvalue()


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" viewBox="0 0 100 100">'
    b'<rect width="100" height="100" fill="#ff0000"/></svg>'
)


def import_one(tmp_path, images, text, *, name="a.md"):
    report = article_import_paths(paths=[write(tmp_path / "in" / name, text)], images=images)
    assert not report.failed, report.failed
    return report


# --------------------------------------------------------------------------- acceptance


def test_reference_article_shares_a_1200x630_raster(seed_path, corpus_images, images, client):
    store = ImageStore(source=corpus_images, root=images.root)
    assert not article_import_paths(paths=[seed_path], images=store).failed
    page = head_of(client, f"/blog/{SEED_SLUG}")
    image = assert_shareable(client, page)
    # Its .jpg does not exist: the card is drawn from the SVG of the same name, whose
    # gradient starts in #1e40af (top left), not from the generated card's brand blue.
    assert Article.objects.get(slug=SEED_SLUG).seo["card"]["source"] == "svg"
    r, g, b = image.convert("RGB").getpixel((5, 5))
    assert b > 150 and r < 60


def test_every_corpus_article_shares_a_1200x630_raster(corpus_dir, corpus_images, images, client):
    store = ImageStore(source=corpus_images, root=images.root)
    report = article_import_paths(paths=[corpus_dir], images=store)
    assert not report.failed
    slugs = list(Article.objects.values_list("slug", flat=True))
    assert len(slugs) == len(list(corpus_dir.glob("*.md")))
    seen = set()
    for slug in slugs:
        page = head_of(client, f"/blog/{slug}")
        assert_shareable(client, page)
        seen.add(page.meta["og:image"])
    assert len(seen) == len(slugs)  # one card each


def test_a_site_page_shares_its_generated_card(tmp_path, images, client):
    import_one(tmp_path, images, SITE_PAGE, name="visit.md")
    assert Page.objects.filter(path="/visit").exists()
    assert_shareable(client, head_of(client, "/visit"))


# --------------------------------------------------------------------------- sources


def test_a_raster_featured_image_is_cover_cropped(tmp_path, images, client):
    write(images.root / "red.png", png(size=(800, 800)))
    text = article_text("raster", **{"/images/articles/raster.svg": "/images/articles/red.png"})
    import_one(tmp_path, images, text)
    card = Article.objects.get(slug="raster").seo["card"]
    assert card["source"] == "raster" and card["type"] == "image/png"
    image = assert_shareable(client, head_of(client, "/blog/raster")).convert("RGB")
    assert image.getpixel((5, 5)) == (200, 30, 30)  # cropped, not letterboxed
    assert image.getpixel((1195, 625)) == (200, 30, 30)


def test_a_photo_gives_a_jpeg_card(tmp_path, images, client):
    write(images.root / "photo.jpg", jpeg())
    text = article_text("photo", **{"/images/articles/photo.svg": "/images/articles/photo.jpg"})
    import_one(tmp_path, images, text)
    page = head_of(client, "/blog/photo")
    assert page.meta["og:image:type"] == "image/jpeg"
    assert assert_shareable(client, page).format == "JPEG"


def test_a_raster_og_image_comes_before_the_featured_image(tmp_path, images):
    write(images.root / "og.png", png(color=(0, 0, 250)))
    write(images.root / "ogfirst.svg", SVG)
    text = article_text("ogfirst").replace(
        'audience: "patients"', 'audience: "patients"\nogImage: "/images/articles/og.png"'
    )
    import_one(tmp_path, images, text)
    card = Article.objects.get(slug="ogfirst").seo["card"]
    assert card["source"] == "raster"
    image = Image.open(images.root / card["url"].removeprefix("/images/articles/"))
    assert image.convert("RGB").getpixel((600, 300)) == (0, 0, 250)


def test_an_svg_is_rendered_and_fitted_on_the_site_background(tmp_path, images, client):
    write(images.root / "vector.svg", SVG)
    import_one(tmp_path, images, article_text("vector"))
    card = Article.objects.get(slug="vector").seo["card"]
    assert card["source"] == "svg" and card["type"] == "image/png"
    image = assert_shareable(client, head_of(client, "/blog/vector")).convert("RGB")
    assert image.getpixel((600, 315)) == (255, 0, 0)  # the square, in the middle
    assert image.getpixel((10, 315)) == (0xF3, 0xF6, 0xFA)  # the site's tint either side


def test_no_image_gives_a_generated_card(tmp_path, images, client):
    text = article_text("plain").replace('featuredImage: "/images/articles/plain.svg"\n', "")
    import_one(tmp_path, images, text)
    card = Article.objects.get(slug="plain").seo["card"]
    assert card["source"] == "generated"
    image = assert_shareable(client, head_of(client, "/blog/plain")).convert("RGB")
    assert image.getpixel((5, 5)) == (0x1D, 0x4E, 0x89)  # the site's brand blue


def test_an_svg_cairosvg_cannot_parse_falls_back_to_the_generated_card(tmp_path, images, client):
    write(images.root / "broken.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><rect")
    report = import_one(tmp_path, images, article_text("broken"))
    assert report.count("imported") == 1
    card = Article.objects.get(slug="broken").seo["card"]
    assert card["source"] == "generated"
    assert_shareable(client, head_of(client, "/blog/broken"))


def test_an_svg_never_fetches_an_external_file(tmp_path, images):
    secret = write(tmp_path / "secret.png", png(color=(0, 255, 0)))
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="100" height="100"><rect width="100" height="100" fill="#000000"/>'
        f'<image xlink:href="file://{secret}" width="100" height="100"/></svg>'
    )
    write(images.root / "leak.svg", svg)
    import_one(tmp_path, images, article_text("leak"))
    card = Article.objects.get(slug="leak").seo["card"]
    image = Image.open(images.root / card["url"].removeprefix("/images/articles/"))
    assert image.convert("RGB").getpixel((600, 315)) != (0, 255, 0)


# --------------------------------------------------------------------------- when drawn


def test_unchanged_inputs_draw_no_new_card(tmp_path, images):
    write(images.root / "again.svg", SVG)
    import_one(tmp_path, images, article_text("again"))
    first = cards(images.root)
    assert len(first) == 1
    import_one(tmp_path, images, article_text("again"))  # an unchanged file
    assert cards(images.root) == first
    # A fresh database with the cards already on disk: each is found, none drawn again.
    Article.objects.all().delete()
    import_one(tmp_path, images, article_text("again"))
    assert cards(images.root) == first


def test_a_changed_title_draws_a_new_card_and_removes_the_old(tmp_path, images, client):
    import_one(tmp_path, images, article_text("retitled"))
    (old,) = cards(images.root)
    import_one(tmp_path, images, article_text("retitled", Understanding="Choosing"))
    (new,) = cards(images.root)
    assert new != old and new.startswith("retitled-")
    assert head_of(client, "/blog/retitled").meta["og:image"].endswith(new)


def test_a_changed_image_draws_a_new_card(tmp_path, images):
    write(images.root / "swap.svg", SVG)
    import_one(tmp_path, images, article_text("swap"))
    (old,) = cards(images.root)
    write(images.root / "swap.svg", SVG.replace(b"#ff0000", b"#00ff00"))
    import_one(tmp_path, images, article_text("swap", Understanding="Swapping"))
    (new,) = cards(images.root)
    assert new != old


def test_cards_can_be_turned_off(tmp_path, images, client, settings):
    settings.SOCIAL_CARDS = False
    write(images.root / "off.svg", SVG)
    import_one(tmp_path, images, article_text("off"))
    assert cards(images.root) == {}
    assert "card" not in Article.objects.get(slug="off").seo
    page = head_of(client, "/blog/off")
    assert page.meta["og:image"].endswith("/images/articles/off.svg")  # as before cards
    assert "og:image:width" not in page.meta


# --------------------------------------------------------------------------- export


def test_the_static_export_contains_the_cards(tmp_path, images):
    write(images.root / "exported.svg", SVG)
    import_one(tmp_path, images, article_text("exported"))
    import_one(tmp_path, images, SITE_PAGE, name="visit.md")
    drawn = cards(images.root)
    assert len(drawn) == 2
    out = tmp_path / "out"
    site_export(directory=out)
    for name in drawn:
        exported = out / "images" / "articles" / "cards" / name
        assert exported.read_bytes() == (images.root / "cards" / name).read_bytes()
    html = (out / "blog" / "exported.html").read_text()
    card = Article.objects.get(slug="exported").seo["card"]["url"]
    assert f'property="og:image" content="https://ketamineassociation.test{card}"' in html


# --------------------------------------------------------------------------- drawing cost


def quadrants(size, *, orientation=1) -> bytes:
    """A JPEG in four flat colours (red, green / blue, yellow), with an EXIF orientation."""
    width, height = size
    image = Image.new("RGB", size, (220, 30, 30))
    image.paste((30, 160, 60), (width // 2, 0, width, height // 2))
    image.paste((30, 60, 200), (0, height // 2, width // 2, height))
    image.paste((240, 200, 20), (width // 2, height // 2, width, height))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def near(pixel, colour, tolerance=8) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


@pytest.mark.parametrize(
    ("size", "orientation", "decoded"),
    [
        ((4800, 2560), 1, (1200, 640)),  # a quarter still covers 1200×630
        ((4800, 2560), 6, (2400, 1280)),  # turned upright it is 2560 wide: a half covers 1200
        ((2520, 1320), 1, (1260, 660)),
        ((2000, 900), 1, (2000, 900)),  # less than twice the card: decoded whole
    ],
)
def test_a_large_photo_is_decoded_at_the_smallest_scale_that_covers_the_card(
    size, orientation, decoded
):
    from PIL import ImageOps

    from ketamine_association.articles import cards

    with Image.open(io.BytesIO(quadrants(size, orientation=orientation))) as opened:
        cards._draft(opened)
        opened.load()
        assert opened.size == decoded
        ImageOps.exif_transpose(opened, in_place=True)
        assert min(opened.width / 1200, opened.height / 630) >= 1


def test_a_large_photos_card_is_the_full_decodings_card_to_the_eye():
    from PIL import ImageChops, ImageOps, ImageStat

    from ketamine_association.articles import cards

    data = quadrants((4800, 2560), orientation=6)  # upright: 2560×4800, red top right
    source, drawn = cards._draw(title="t", label="", picture=(".jpg", data), jpeg=True)
    assert source == "raster"
    card = Image.open(io.BytesIO(drawn)).convert("RGB")
    with Image.open(io.BytesIO(data)) as whole:
        whole.load()
        reference = ImageOps.fit(
            ImageOps.exif_transpose(whole), (1200, 630), Image.Resampling.LANCZOS
        )
    assert card.size == (1200, 630)
    # Turned upright: the blue quadrant (bottom left as stored) is now top left.
    assert near(card.getpixel((100, 100)), (30, 60, 200))
    assert near(card.getpixel((1100, 100)), (220, 30, 30))
    difference = ImageStat.Stat(ImageChops.difference(card, reference))
    assert max(difference.mean) < 1.5
