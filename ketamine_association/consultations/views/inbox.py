"""Views: the provider's inbox of requests in the dashboard."""

from django.http import Http404


def retention_slot(request) -> str:  # to be built: the privacy page's numbers (apps.py)
    return ""


def inbox(request):  # to be built
    raise Http404


def detail(request, pk):  # to be built
    raise Http404
