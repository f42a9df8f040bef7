from django.apps import AppConfig


class ChartingConfig(AppConfig):
    name = "medspa.charting"
    label = "charting"
    verbose_name = "Charting"
