"""Forms for the photo pages: parse what staff pick and type; the services validate and write."""

from __future__ import annotations

from django import forms

from medspa.photos.choices import PhotoPhase, ViewAngle

ANY = ("", "Any")
IMAGE_ACCEPT = "image/*"
# How many files one upload may carry (each is decoded on its own, in turn).
MAX_FILES = 12


class PhotoFilterForm(forms.Form):
    """Filters of the Photos tab (GET): by view angle and by before/after."""

    angle = forms.ChoiceField(choices=[ANY, *ViewAngle.choices], required=False, label="Angle")
    phase = forms.ChoiceField(choices=[ANY, *PhotoPhase.choices], required=False, label="Phase")

    def values(self) -> dict[str, str | None]:
        data = self.cleaned_data if self.is_valid() else {}
        return {"angle": data.get("angle") or None, "phase": data.get("phase") or None}


class PhotoUploadForm(forms.Form):
    """Several images at once (`files`, or `camera` from a tablet's camera) with the angle
    and phase they share; `confirm_without_consent` is the explicit confirmation asked for
    when the patient has no photo consent on file."""

    angle = forms.ChoiceField(choices=ViewAngle.choices, initial=ViewAngle.FRONT, label="Angle")
    phase = forms.ChoiceField(choices=PhotoPhase.choices, initial=PhotoPhase.BEFORE, label="Phase")
    note = forms.CharField(max_length=300, required=False, label="Note")
    confirm_without_consent = forms.BooleanField(required=False)

    def __init__(self, *args, files_in=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.uploads = list(files_in or [])

    def clean(self):
        data = super().clean()
        if not self.uploads:
            raise forms.ValidationError("Choose at least one photo, or take one with the camera.")
        if len(self.uploads) > MAX_FILES:
            raise forms.ValidationError(f"Upload at most {MAX_FILES} photos at a time.")
        return data


def uploads_of(request) -> list:
    """The files of an upload request: picked (`files`) and taken with the camera (`camera`)."""
    return [*request.FILES.getlist("files"), *request.FILES.getlist("camera")]


class PhotoMetadataForm(forms.Form):
    """Correct a photo's angle, phase or note."""

    angle = forms.ChoiceField(choices=ViewAngle.choices, label="Angle")
    phase = forms.ChoiceField(choices=PhotoPhase.choices, label="Phase")
    note = forms.CharField(max_length=300, required=False, label="Note", widget=forms.TextInput())
