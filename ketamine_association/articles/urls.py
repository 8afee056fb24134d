from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("blog", views.article_index, name="index"),
    path("blog/category/<slug:slug>", views.category_detail, name="category"),
    path("blog/<slug:slug>", views.article_detail, name="detail"),
    path("images/articles/<path:name>", views.article_image, name="image"),
]
