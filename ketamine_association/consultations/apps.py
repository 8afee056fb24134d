from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "ketamine_association.consultations"
    label = "consultations"
    verbose_name = "Consultation requests"
