"""Views: a listing kept current by its owner and editors."""

from django.http import Http404


def edit(request, pk):  # to be built
    raise Http404


def history(request, pk):  # to be built
    raise Http404
