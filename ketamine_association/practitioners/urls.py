from django.urls import path

from .views import applications, claims, listings

app_name = "practitioners"

urlpatterns = [
    path("provider-directory/apply", applications.apply, name="apply"),
    path("provider-directory/apply/sent", applications.applied, name="applied"),
    # Claims on existing listings, and the colleagues an owner invites as editors.
    path("providers/<slug:slug>/claim", claims.claim, name="claim"),
    path("dashboard/listings/<int:pk>/editors", claims.editors, name="editors"),
    path("dashboard/invitation/<str:token>", claims.invitation, name="invitation"),
    # A listing kept current by its owner and editors.
    path("dashboard/listings/<int:pk>", listings.edit, name="listing-edit"),
    path("dashboard/listings/<int:pk>/history", listings.history, name="listing-history"),
]
