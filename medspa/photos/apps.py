from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "medspa.photos"
    label = "photos"
    verbose_name = "Clinical photos"

    def ready(self) -> None:
        # The profile timeline shows photos (patients never imports us).
        from medspa.patients.timeline import register_timeline_source
        from medspa.photos.selectors import patient_timeline_entries

        register_timeline_source("photos", patient_timeline_entries)
        # The profile's Photos tab (pages in photos.views; hidden from roles without photos.view).
        from medspa.patients.tabs import register_tab
        from medspa.photos.views import can_see_photos, photos_tab

        register_tab("photos", photos_tab, visible=can_see_photos)
        # A merge leaves photos on the profile they were taken of (the database refuses to
        # change a photo's patient_id); the survivor's Photos tab reads them through
        # patients.selectors.patient_record_ids.
        from medspa.patients.merge import keep_in_place, register
        from medspa.photos.models import ClinicalPhoto

        register(ClinicalPhoto, "patient", keep_in_place)
