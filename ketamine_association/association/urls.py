from django.urls import path

from . import views

app_name = "association"

urlpatterns = [
    path("contact", views.contact, name="contact"),
    path("contact/sent", views.contact_sent, name="contact_sent"),
]
