"""The site pages' URL: any page-shaped path (/about, /membership/practitioners). Included
last in config/urls.py, so every other view's URL is matched first."""

from django.urls import path, register_converter
from django.urls.converters import PathConverter

from . import views
from .services import SITE_PAGE_URL_NAME


class PagePathConverter(PathConverter):
    """Lower-case words and hyphens between slashes: the shape PageSource accepts."""

    regex = r"[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*)*"


register_converter(PagePathConverter, "pagepath")

app_name = "pages"

urlpatterns = [path("<pagepath:path>", views.site_page, name=SITE_PAGE_URL_NAME)]
