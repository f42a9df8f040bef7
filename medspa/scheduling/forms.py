"""Forms of the calendar pages: the booking dialog and the status menu."""

from __future__ import annotations

from django import forms

from medspa.scheduling.choices import AppointmentStatus


class BookingForm(forms.Form):
    """Book from the calendar: an existing patient (picked by the search) or a new one typed
    inline, a service, a provider, a start in the location's wall-clock time and an optional
    room (left empty, the booking picks a free one)."""

    patient = forms.UUIDField(required=False, widget=forms.HiddenInput)
    first_name = forms.CharField(label="First name", max_length=100, required=False)
    last_name = forms.CharField(label="Last name", max_length=100, required=False)
    phone = forms.CharField(label="Mobile phone", max_length=32, required=False)
    email = forms.EmailField(label="Email", max_length=254, required=False)
    service = forms.ChoiceField(label="Service")
    provider = forms.ChoiceField(label="Provider")
    start = forms.DateTimeField(
        label="Start",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 300}, format="%Y-%m-%dT%H:%M"),
    )
    room = forms.ChoiceField(label="Room", required=False)
    notes = forms.CharField(label="Notes", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    double_book = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, services=(), providers=(), rooms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", "Choose a service")] + [(str(s.pk), s.name) for s in services]
        self.fields["provider"].choices = [("", "Choose a provider")] + [(str(p.pk), p.full_name) for p in providers]
        self.fields["room"].choices = [("", "Any free room (suggested)")] + [(str(r.pk), r.name) for r in rooms]

    def clean(self):
        data = super().clean()
        if not data.get("patient") and not (data.get("first_name") and data.get("last_name")):
            self.add_error("patient", "Choose a patient, or give a new patient's first and last name.")
        return data

    def new_patient(self) -> dict:
        data = self.cleaned_data
        return {k: data[k] for k in ("first_name", "last_name", "phone", "email") if data.get(k)}


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=AppointmentStatus.choices)
    reason = forms.CharField(max_length=300, required=False)
