"""The site's URLs plus a /contact page, as if that page had been built."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("contact", lambda request: HttpResponse("Contact us")), *site_urlpatterns]
