from django.urls import path

from . import views

app_name = "editorial"

urlpatterns = [
    path("editor/", views.index, name="index"),
    path("editor/new", views.new, name="new"),
    path("editor/open/<slug:slug>", views.open_article, name="open"),
    path("editor/<int:pk>", views.edit, name="edit"),
    path("editor/<int:pk>/check", views.check, name="check"),
    path("editor/<int:pk>/transition", views.transition, name="transition"),
    path("editor/<int:pk>/images", views.upload_image, name="upload"),
    path("editor/<int:pk>/share", views.share, name="share"),
    path("preview/<str:token>", views.shared_preview, name="shared_preview"),
]
