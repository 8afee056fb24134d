"""Checklist: path traversal and symbolic links are refused, when serving and when importing.

Every file the site answers with goes through `core.files.contained_file`; these requests are
the ones that once read /etc/passwd and the database itself (issue 11)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.models import Article
from ketamine_association.articles.services import article_import_paths
from ketamine_association.core.files import contained_file
from tests.articles.factories import article_text, write

from .servers import raw_get, running_server

SVG = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
SECRET = b"secret-db-bytes-0xC0FFEE"

# What an attacker sends, as it travels on the wire.
HOSTILE = [
    "/images/articles//etc/passwd",
    "/images/articles///etc/passwd",
    "/images/articles/%2Fetc/passwd",
    "/images/articles/%2fetc%2fhostname",
    "/images/articles/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/images/articles/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/images/articles/..%5c..%5cetc%5cpasswd",
    "/images/articles//proc/self/cwd/manage.py",
    "/images/articles/%2Fproc%2Fself%2Fcwd%2Fmanage.py",
    "/images/articles/" + "a" * 256,
    "/images/articles/" + "/".join(["a" * 200] * 30),
    "/images/articles/%00",
    "/images/articles/ok.svg%00.png",
    "/images/articles/%ff%fe.svg",
    "/images/articles/%c0%ae%c0%ae/etc/passwd",
    "/images/articles/.hidden.svg",
    "/images/articles/link-out.svg",
    "/images/articles/linked-dir/secret.txt",
    "/images/articles/link-in.svg",
    "/media/providers/..%2F..%2F..%2Fetc%2Fpasswd",
    "/media/providers/%2Fetc%2Fpasswd",
    "/media/providers/" + "b" * 300 + ".jpg",
]


@pytest.fixture
def hostile_tree(tmp_path, served_images) -> Path:
    """A served folder with one good image, a hidden file and links out of and inside it."""
    outside = tmp_path / "outside"
    write(outside / "secret.txt", SECRET)
    write(served_images / "ok.svg", SVG)
    write(served_images / ".hidden.svg", SECRET)
    (served_images / "link-out.svg").symlink_to(outside / "secret.txt")
    (served_images / "linked-dir").symlink_to(outside, target_is_directory=True)
    (served_images / "link-in.svg").symlink_to(served_images / "ok.svg")
    return served_images


def test_contained_file_keeps_names_inside_their_root(hostile_tree):
    assert contained_file(hostile_tree, "ok.svg") == hostile_tree.resolve() / "ok.svg"
    for name in ["/etc/passwd", "//etc/passwd", "../outside/secret.txt", "a/../../x", "",
                 "a" * 256, "x\x00.svg", "\udcff.svg", ".hidden.svg", "link-out.svg",
                 "linked-dir/secret.txt", "link-in.svg", "ok.svg/", "./ok.svg"]:  # fmt: skip
        assert contained_file(hostile_tree, name) is None, name


def test_contained_file_follows_a_root_that_is_itself_a_link(tmp_path, hostile_tree):
    alias = tmp_path / "alias"
    alias.symlink_to(hostile_tree, target_is_directory=True)
    assert contained_file(alias, "ok.svg") is not None


@pytest.mark.django_db
@pytest.mark.parametrize("path", HOSTILE)
def test_hostile_image_paths_are_404_through_the_test_client(client, hostile_tree, path):
    response = client.get(path)
    assert response.status_code == 404
    assert SECRET not in response.content and b"root:" not in response.content


@pytest.mark.django_db
def test_a_real_image_is_still_served(client, hostile_tree):
    response = client.get("/images/articles/ok.svg")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == SVG
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize("server", ["granian", "runserver"])
def test_hostile_image_paths_are_refused_by_a_real_server(server, hostile_tree):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "ARTICLE_IMAGES_ROOT": str(hostile_tree),
    }
    with running_server(server, env=env) as port:
        status, _, body = raw_get(port, "/images/articles/ok.svg")
        assert (status, body) == (200, SVG)
        for path in HOSTILE:
            status, _, body = raw_get(port, path)
            assert status in (400, 404), (path, status)
            assert SECRET not in body and b"root:" not in body and b"manage.py" not in body


# The import: image URLs in the frontmatter and the body, and the --images folder.


def _import_one(tmp_path, images: ImageStore, **replace: str):
    path = write(tmp_path / "md" / "a.md", article_text("probe", **replace))
    (outcome,) = article_import_paths(paths=[path], images=images).outcomes
    return outcome


def published(root: Path) -> list[Path]:
    """What the import put in the served folder, the social cards aside: a refused picture
    gives the generated card (articles/cards.py), drawn from the title alone."""
    return [p for p in root.iterdir() if p.name != "cards"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/images/articles//etc/passwd",
        "/images/articles/../../etc/passwd",
        "/images/articles/%2Fetc/passwd",
        "/images/articles/./probe.svg",
        "/images/articles/.probe.svg",
    ],
)
def test_import_refuses_an_image_url_that_is_not_a_plain_name(tmp_path, images, url):
    outcome = _import_one(tmp_path, images, **{'"/images/articles/probe.svg"': f'"{url}"'})
    (finding,) = [f for f in outcome.findings if f.code == "image-missing"]
    assert "not a plain file name" in finding.message
    assert finding.line == 8  # the featuredImage line
    assert not Article.objects.get(slug="probe").featured_image_exists
    assert published(images.root) == []
    assert Article.objects.get(slug="probe").seo["card"]["source"] == "generated"


@pytest.mark.django_db
def test_import_never_copies_a_symlink_from_the_images_folder(tmp_path, images, client):
    source = tmp_path / "imgs"
    write(tmp_path / "secret.txt", SECRET)
    source.mkdir()
    (source / "probe.svg").symlink_to(tmp_path / "secret.txt")
    outcome = _import_one(tmp_path, ImageStore(source=source, root=images.root))
    (finding,) = [f for f in outcome.findings if f.code == "image-missing"]
    assert "symbolic link" in finding.message
    assert not (images.root / "probe.svg").exists()
    assert client.get("/images/articles/probe.svg").status_code == 404


@pytest.mark.django_db
def test_import_never_copies_a_non_regular_file(tmp_path, images):
    source = tmp_path / "imgs"
    (source / "probe.svg").mkdir(parents=True)  # a folder with an image's name
    fifo = source / "body.svg"
    os.mkfifo(fifo)
    body = "![A diagram](/images/articles/body.svg)\n"
    outcome = _import_one(
        tmp_path,
        ImageStore(source=source, root=images.root),
        **{"# Understanding Your Options\n": f"# Understanding Your Options\n\n{body}"},
    )
    assert len([f for f in outcome.findings if f.code == "image-missing"]) == 2
    assert published(images.root) == []
    assert Article.objects.get(slug="probe").seo["card"]["source"] == "generated"


@pytest.mark.django_db
def test_import_publishes_a_regular_image(tmp_path, images, client):
    source = tmp_path / "imgs"
    write(source / "probe.svg", SVG)
    outcome = _import_one(tmp_path, ImageStore(source=source, root=images.root))
    assert "image-missing" not in {f.code for f in outcome.findings}
    assert (images.root / "probe.svg").read_bytes() == SVG
    assert client.get("/images/articles/probe.svg").status_code == 200
