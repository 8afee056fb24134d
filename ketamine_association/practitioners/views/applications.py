from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from .. import services
from ..forms import ApplicationForm


@require_http_methods(["GET", "HEAD", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    """/provider-directory/apply: what to have ready and, once signed in, the application."""
    if not request.user.is_authenticated:
        return render(request, "practitioners/apply.html", {"form": None})
    form = ApplicationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        services.application_submit(
            applicant=request.user,
            proposed=form.proposed(),
            license_expires_on=form.cleaned_data["license_expires_on"],
            rems_certified=form.cleaned_data["rems_certified"],
            rems_document=form.cleaned_data.get("rems_document") or None,
        )
        return redirect("practitioners:applied")
    return render(request, "practitioners/apply.html", {"form": form})


@require_safe
def applied(request: HttpRequest) -> HttpResponse:
    return render(request, "practitioners/applied.html")
