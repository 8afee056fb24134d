from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("ketamine_association.articles.urls")),
    path("", include("ketamine_association.directory.urls")),
    path("", include("ketamine_association.newsletter.urls")),
    path("", include("ketamine_association.core.urls")),
]

handler404 = "ketamine_association.core.views.page_not_found"
handler500 = "ketamine_association.core.views.server_error"
