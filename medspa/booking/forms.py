"""Forms of Settings → Online booking: the portal's settings (with scheduling's online notice
and window, which live in the clinic's booking rules) and each practitioner's public profile.
The services check every value again."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator

from medspa.booking.models import BookingSettings, PractitionerProfile
from medspa.booking.services.staff import SETTINGS_FIELDS
from medspa.catalog.choices import DepositKind
from medspa.scheduling.settings_forms import BookingRulesForm

POLICY_FIELDS = ("online_min_notice_minutes", "online_window_days")


def _limits(name: str) -> dict:
    """The model field's min/max validators as form field arguments (one source of limits)."""
    validators = BookingSettings._meta.get_field(name).validators
    lows = [v.limit_value for v in validators if v.code == "min_value"]
    highs = [v.limit_value for v in validators if v.code == "max_value"]
    return {"min_value": max(lows, default=0), "max_value": min(highs, default=None)}


class OnlineBookingForm(forms.Form):
    enabled = forms.BooleanField(
        label="Take bookings online",
        required=False,
        help_text="Turns the public booking page on. Off: the link tells patients to call the clinic.",
    )
    # The same fields (and limits) as Settings → Booking rules, where they are also shown.
    online_min_notice_minutes = BookingRulesForm.base_fields["online_min_notice_minutes"]
    online_window_days = BookingRulesForm.base_fields["online_window_days"]
    hold_minutes = forms.IntegerField(
        label="Hold a picked time for (minutes)",
        help_text="While the patient enters their details and pays any deposit; then the time is released.",
        **_limits("hold_minutes"),
    )
    link_hold_minutes = forms.IntegerField(
        label="Finish-your-booking link holds for (minutes)",
        help_text="How long a link sent from the calendar keeps its time. 120 = two hours.",
        **_limits("link_hold_minutes"),
    )
    require_approval_new_patients = forms.BooleanField(
        label="New patients' bookings need approval",
        required=False,
        help_text="Their appointment is created as requested; approve it on the calendar.",
    )
    max_future_bookings = forms.IntegerField(
        label="Upcoming bookings per patient",
        help_text="The most upcoming visits one patient may have when booking online.",
        **_limits("max_future_bookings"),
    )
    cancellation_notice_hours = forms.IntegerField(
        label="Cancellation notice (hours)",
        help_text="Cancelling later than this is a late cancellation.",
        **_limits("cancellation_notice_hours"),
    )
    cancellation_policy = forms.CharField(
        label="Cancellation policy",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Patients must agree to it before booking. {hours} is replaced by the notice hours. "
        "Changing the text or the hours starts a new policy version; each booking keeps the text it agreed to.",
    )
    deposit_kind = forms.ChoiceField(
        label="Clinic-wide deposit",
        choices=DepositKind.choices,
        help_text="For services that set no deposit of their own (a service's own deposit always wins).",
    )
    deposit_value = forms.DecimalField(
        label="Deposit amount or percent",
        min_value=0,
        max_digits=10,
        decimal_places=2,
        help_text="An amount for a fixed deposit, a percent of the price for a percent deposit.",
    )
    intake_form_required = forms.BooleanField(
        label="Ask new patients for the intake form",
        required=False,
        help_text="After booking, the forms module sends the clinic's intake form to fill in before the visit.",
    )
    headline = forms.CharField(
        label="Headline",
        required=False,
        max_length=120,
        help_text="The first line patients read on the booking page.",
    )
    meta_description = forms.CharField(
        label="Link preview text",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown when the link is shared and in search results.",
    )
    primary_color = forms.CharField(
        label="Brand colour",
        max_length=7,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour like #7c3aed.")],
        widget=forms.TextInput(attrs={"placeholder": "#7c3aed", "autocomplete": "off", "spellcheck": "false"}),
        help_text="Buttons and highlights on the booking page, as a hex colour.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        kind, value = data.get("deposit_kind"), data.get("deposit_value")
        if kind == DepositKind.PERCENT and value is not None and value > 100:
            self.add_error("deposit_value", "A percent deposit is at most 100.")
        if kind in (DepositKind.FIXED, DepositKind.PERCENT) and value is not None and value <= 0:
            self.add_error("deposit_value", "Enter the deposit, or choose no deposit.")
        return data

    def settings_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in SETTINGS_FIELDS}

    def policy_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in POLICY_FIELDS}


def _profile_max(name: str) -> int:
    return PractitionerProfile._meta.get_field(name).max_length


class PractitionerProfileForm(forms.Form):
    display_name = forms.CharField(
        label="Name shown online", max_length=_profile_max("display_name"), help_text="e.g. Priya P. or Dr. Maya Chen"
    )
    credentials = forms.CharField(
        label="Credentials", required=False, max_length=_profile_max("credentials"), help_text="e.g. RN, CANS"
    )
    bio = forms.CharField(
        label="Short bio",
        required=False,
        max_length=_profile_max("bio"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    listed = forms.BooleanField(
        label="Offer by name online",
        required=False,
        help_text="Off: patients can still book them through “anyone available”.",
    )
