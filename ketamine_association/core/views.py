from django.contrib.sitemaps import views as sitemap_views
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from ketamine_association.core.pagecache import publicly_cacheable
from ketamine_association.core.sections import home_sections, not_found_sections, redirect_for
from ketamine_association.core.seo import absolute
from ketamine_association.core.sitemaps import sitemap_index_paths, sitemap_sections


def _rendered(sections: list[tuple[str, dict]], request: HttpRequest) -> list[str]:
    return [render_to_string(template, context, request=request) for template, context in sections]


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    sections = _rendered(home_sections(), request)
    return publicly_cacheable(render(request, "core/home.html", {"sections": sections}))


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    target = redirect_for(request.path)
    if target:
        return HttpResponsePermanentRedirect(target)
    sections = _rendered(not_found_sections(), request)
    body = render_to_string("core/404.html", {"sections": sections}, request=request)
    return HttpResponse(body, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    body = render_to_string("core/500.html")
    return HttpResponse(body, status=500)


@require_safe
def sitemap_xml(request: HttpRequest) -> HttpResponse:
    """One sitemap while it fits the protocol's limit, a sitemap index above it."""
    sections = {name: cls() for name, cls in sitemap_sections().items()}
    paths = sitemap_index_paths(sections)
    if paths is None:
        return sitemap_views.sitemap(request, sitemaps=sections)
    entries = [sitemap_views.SitemapIndexItem(absolute(path), None) for path in paths]
    return TemplateResponse(
        request, "sitemap_index.xml", {"sitemaps": entries}, content_type="application/xml"
    )


@require_safe
def sitemap_section(request: HttpRequest, section: str) -> HttpResponse:
    return sitemap_views.sitemap(request, sitemaps=sitemap_sections(), section=section)


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    # /search is not disallowed: its pages say noindex, and a crawler only sees that on a
    # page it may fetch (a disallowed URL can still be indexed from links, without content).
    # Disallow before Allow: first-match parsers (Python's robotparser) and longest-match
    # ones (Google) then read the same rules.
    lines = ["User-agent: *", "Disallow: /admin/", "Allow: /", ""]
    lines.append(f"Sitemap: {absolute('/sitemap.xml')}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
