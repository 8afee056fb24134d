"""The admin's second-factor rule (ADMIN_REQUIRES_MFA, on under production settings).

With the rule on, the admin opens only for a staff session that passed a second factor:
- the admin's own login form (password only) is replaced by allauth's, which asks for the
  TOTP code of an account that has one;
- a staff account without a TOTP authenticator is sent to set one up, with a message;
- a staff session signed in before its TOTP existed is asked for a code first
  (allauth's MFA reauthentication).
Off (local development, tests), the admin behaves as Django ships it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse


class AdminRequiresMfaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if settings.ADMIN_REQUIRES_MFA and request.path.startswith(reverse("admin:index")):
            refused = admin_refusal(request)
            if refused is not None:
                return refused
        return self.get_response(request)


def admin_refusal(request: HttpRequest) -> HttpResponseRedirect | None:
    """Where a request for the admin must go instead, or None when it may pass."""
    from .selectors import has_totp, session_passed_mfa

    user = request.user
    if not user.is_authenticated:
        if request.path == reverse("admin:login"):
            target = request.GET.get("next") or reverse("admin:index")
            return _redirect("account_login", target)
        return None  # the admin sends a visitor to its login page, which lands above
    if not user.is_staff:
        return None  # the admin refuses them itself
    if not has_totp(user=user):
        messages.warning(
            request, "The admin needs a second factor: set up an authenticator app first."
        )
        return _redirect("mfa_activate_totp", request.get_full_path())
    if not session_passed_mfa(request=request):
        return _redirect("mfa_reauthenticate", request.get_full_path())
    return None


def _redirect(name: str, next_path: str) -> HttpResponseRedirect:
    admin = reverse("admin:index")
    if not next_path.startswith(admin):
        next_path = admin
    return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': next_path})}")
