from django.urls import path

from . import views

app_name = "practitioners"

urlpatterns = [
    path("provider-directory/apply", views.apply, name="apply"),
    path("provider-directory/apply/sent", views.applied, name="applied"),
]
