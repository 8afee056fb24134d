"""Page links for a numbered pager: the first and last pages, and a few around this one.

A list of 834 pages shows `1 2 3 4 5 … 834` on its first page, not 834 links: every page of
a long list stays small, on a phone as much as in a static export.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.paginator import Paginator

ON_EACH_SIDE = 2
ON_ENDS = 1


def page_links(
    paginator: Paginator, number: int, url: Callable[[int], str]
) -> list[tuple[int | None, str]]:
    """(page number, its URL) for each link shown; (None, "") where pages are left out."""
    if paginator.num_pages <= 1:
        return []
    return [
        (n, url(n)) if isinstance(n, int) else (None, "")
        for n in paginator.get_elided_page_range(number, on_each_side=ON_EACH_SIDE, on_ends=ON_ENDS)
    ]
