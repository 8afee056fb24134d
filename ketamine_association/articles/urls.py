from django.urls import path

from . import feeds, views

app_name = "articles"

urlpatterns = [
    path("blog", views.article_index, name="index"),
    path("blog/page/<int:page>", views.article_index, name="index-page"),
    path("blog/feed.xml", feeds.ArticleFeed(), name="feed"),
    path("blog/atom.xml", feeds.AtomArticleFeed(), name="atom"),
    path("blog/category/<slug:slug>", views.category_detail, name="category"),
    path("blog/category/<slug:slug>/page/<int:page>", views.category_detail),
    path("blog/category/<slug:slug>/feed.xml", feeds.CategoryFeed(), name="category-feed"),
    path("blog/category/<slug:slug>/atom.xml", feeds.AtomCategoryFeed(), name="category-atom"),
    path("blog/tag/<slug:slug>", views.tag_detail, name="tag"),
    path("blog/tag/<slug:slug>/page/<int:page>", views.tag_detail),
    path("blog/audience/<slug:audience>", views.audience_detail, name="audience"),
    path("blog/audience/<slug:audience>/page/<int:page>", views.audience_detail),
    path("blog/<slug:slug>", views.article_detail, name="detail"),
    path("search", views.search, name="search"),
    path("reviewers/<slug:slug>", views.reviewer_detail, name="reviewer"),
    path("images/articles/<path:name>", views.article_image, name="image"),
]
