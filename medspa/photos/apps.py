from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "medspa.photos"
    label = "photos"
    verbose_name = "Clinical photos"
