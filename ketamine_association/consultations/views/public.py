"""Views: a patient's request, from a profile or from /consultation."""

from django.http import Http404


def request_form_part(request, provider):  # to be built: the profile part (apps.py)
    return None


def provider_request(request, slug):  # to be built
    raise Http404


def start(request):  # to be built
    raise Http404


def form(request):  # to be built
    raise Http404


def sent(request):  # to be built
    raise Http404
