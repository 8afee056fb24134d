"""The pager shows the ends and the neighbours of the current page, never every page."""

from django.core.paginator import Paginator

from ketamine_association.core.pagination import page_links


def url(n):
    return f"/list/page/{n}"


def test_short_lists_show_every_page_and_one_page_shows_none():
    assert page_links(Paginator(range(1), 12), 1, url) == []
    assert [n for n, _ in page_links(Paginator(range(60), 12), 3, url)] == [1, 2, 3, 4, 5]


def test_long_lists_are_elided_around_the_current_page():
    paginator = Paginator(range(10_000), 12)  # 834 pages
    first = page_links(paginator, 1, url)
    assert [n for n, _ in first] == [1, 2, 3, None, 834]
    assert first[-1] == (834, "/list/page/834")
    middle = [n for n, _ in page_links(paginator, 400, url)]
    assert middle == [1, None, 398, 399, 400, 401, 402, None, 834]
    assert (None, "") in page_links(paginator, 400, url)
