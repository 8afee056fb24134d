"""Views: claims on existing listings, and the colleagues an owner invites as editors."""

from django.http import Http404


def claim(request, slug):  # to be built
    raise Http404


def editors(request, pk):  # to be built
    raise Http404


def invitation(request, token):  # to be built
    raise Http404
