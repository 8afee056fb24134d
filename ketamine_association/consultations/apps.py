from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "ketamine_association.consultations"
    label = "consultations"
    verbose_name = "Consultation requests"

    def ready(self):
        from ketamine_association.core.schedule import register_daily_job
        from ketamine_association.core.sections import register_dashboard_section, register_slot
        from ketamine_association.directory.parts import register_profile_part

        from .services.retention import purge_job
        from .views.inbox import dashboard_section, retention_slot
        from .views.public import request_form_part

        # The request form on every profile whose listing accepts requests.
        register_profile_part(template="consultations/profile_part.html", context=request_form_part)
        # `<!-- consultation-retention -->` on the privacy page states the real numbers.
        register_slot("consultation-retention", retention_slot)
        register_dashboard_section(
            template="consultations/dashboard_section.html", context=dashboard_section
        )
        register_daily_job("consultations: delete requests past their retention", purge_job)
