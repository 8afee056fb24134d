from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("find-provider", views.interim, {"page": "find_provider"}, name="find-provider"),
    path("healthz", views.healthz, name="healthz"),
]
