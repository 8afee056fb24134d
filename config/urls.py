from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # django-allauth: signup, login, email confirmation, password reset, second factor.
    path("accounts/", include("allauth.urls")),
    path("", include("ketamine_association.accounts.urls")),
    path("", include("ketamine_association.articles.urls")),
    path("", include("ketamine_association.directory.urls")),
    path("", include("ketamine_association.newsletter.urls")),
    path("", include("ketamine_association.association.urls")),
    path("", include("ketamine_association.practitioners.urls")),
    path("", include("ketamine_association.consultations.urls")),
    path("", include("ketamine_association.core.urls")),
    path("", include("ketamine_association.editorial.urls")),
    # Last: any page-shaped path not matched above may be a site page (articles.page_urls).
    path("", include("ketamine_association.articles.page_urls")),
]

handler404 = "ketamine_association.core.views.page_not_found"
handler500 = "ketamine_association.core.views.server_error"
