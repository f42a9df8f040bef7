from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "medspa.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from medspa.patients.merge import register_patient_tables

        register_patient_tables()
