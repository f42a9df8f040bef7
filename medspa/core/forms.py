import zoneinfo

from django import forms

from medspa.core.models import Clinic, Location
from medspa.core.services import CLINIC_FIELDS, LOCATION_FIELDS

TIMEZONE_CHOICES = [
    (tz, tz.replace("_", " "))
    for tz in sorted(zoneinfo.available_timezones())
    if "/" in tz and not tz.startswith(("Etc/", "SystemV/"))
]


class ClinicForm(forms.ModelForm):
    timezone = forms.ChoiceField(choices=TIMEZONE_CHOICES, label="Default time zone")
    session_idle_minutes = forms.IntegerField(min_value=5, max_value=120, label="Sign out after inactivity (minutes)")

    class Meta:
        model = Clinic
        fields = list(CLINIC_FIELDS)
        labels = {"require_mfa": "Require two-factor authentication for all staff"}


class LocationForm(forms.ModelForm):
    timezone = forms.ChoiceField(choices=TIMEZONE_CHOICES, label="Time zone")

    class Meta:
        model = Location
        fields = list(LOCATION_FIELDS)
        labels = {"address_line1": "Address", "address_line2": "Address (line 2)", "is_active": "Open for bookings"}


class AuditFilterForm(forms.Form):
    user = forms.CharField(required=False, label="User email")
    action = forms.CharField(required=False, label="Action")
    object_id = forms.CharField(required=False, label="Object id")
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
