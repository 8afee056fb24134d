from django.urls import path

from . import views

app_name = "directory"

urlpatterns = [
    path("find-provider", views.find_provider, name="find-provider"),
    path("find-provider/<slug:state>", views.state_page, name="state"),
    path("find-provider/<slug:state>/<slug:city>", views.city_page, name="city"),
    path("providers/<slug:slug>", views.profile, name="profile"),
    path("media/providers/<str:name>", views.photo, name="photo"),
]
