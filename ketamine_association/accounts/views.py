from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from ketamine_association.core.sections import dashboard_sections
from ketamine_association.practitioners.selectors import account_open_applications

from .selectors import account_summary, dashboard_listings


@never_cache
@login_required
def dashboard(request):
    """The practitioner's home: the account, its second factor, its listings and the
    applications still open."""
    context = {
        "account": account_summary(user=request.user),
        "listings": dashboard_listings(user=request.user),
        "applications": account_open_applications(user=request.user),
        "sections": dashboard_sections(request.user),
    }
    return render(request, "accounts/dashboard.html", context)
