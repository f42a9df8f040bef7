from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "medspa.patients"
    label = "patients"
    verbose_name = "Patients"
