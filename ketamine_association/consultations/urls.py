from django.urls import path

from .views import inbox, public

app_name = "consultations"

urlpatterns = [
    # A patient's side: from a profile, or from /consultation (a ZIP, up to three providers).
    path("providers/<slug:slug>/request", public.provider_request, name="provider-request"),
    path("consultation", public.start, name="start"),
    path("consultation/form", public.form, name="form"),
    path("consultation/sent", public.sent, name="sent"),
    # The provider's side, in the dashboard.
    path("dashboard/requests", inbox.inbox, name="inbox"),
    path("dashboard/requests/<int:pk>", inbox.detail, name="request"),
]
