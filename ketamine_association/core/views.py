from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_safe

from ketamine_association.articles import selectors as article_selectors
from ketamine_association.core.pagecache import publicly_cacheable


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    latest = list(article_selectors.article_list_published(now=now)[:6])
    return publicly_cacheable(render(request, "core/home.html", {"latest": latest}))


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    try:
        target = article_selectors.redirect_target(path=request.path, now=timezone.now())
        if target:
            return HttpResponsePermanentRedirect(target)
    except Exception:  # noqa: S110 - a 404 page must render even if the database is unwell
        pass
    try:
        latest = list(article_selectors.article_list_published(now=timezone.now())[:5])
    except Exception:  # a 404 page must render even if the database is unwell
        latest = []
    body = render_to_string("core/404.html", {"latest": latest}, request=request)
    return HttpResponse(body, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    body = render_to_string("core/500.html")
    return HttpResponse(body, status=500)
