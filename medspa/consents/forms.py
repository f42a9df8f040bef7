"""Forms of the staff consent pages: they parse and label; the services decide."""

from __future__ import annotations

from datetime import timedelta

from django import forms

from medspa.consents.choices import ProfileTarget
from medspa.consents.services.links import LINK_DAYS, MAX_LINK_DAYS

MAX_WINDOW_DAYS = 31


class DashboardFilterForm(forms.Form):
    """Which upcoming appointments the dashboard lists: a date range (at most a month), a
    provider, a location."""

    day_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    day_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    provider = forms.ChoiceField(label="Provider", required=False)
    location = forms.ChoiceField(label="Location", required=False)

    def __init__(self, *args, providers=(), locations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "All providers"), *providers]
        self.fields["location"].choices = [("", "All locations"), *locations]

    def clean(self):
        data = super().clean()
        start, end = data.get("day_from"), data.get("day_to")
        if start and end:
            if end < start:
                self.add_error("day_to", "The end date is before the start date.")
            elif end - start > timedelta(days=MAX_WINDOW_DAYS - 1):
                self.add_error("day_to", f"Choose at most {MAX_WINDOW_DAYS} days.")
        return data


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the patient said, and how (in person, by phone, in writing).",
    )


class ProfileReviewForm(forms.Form):
    """Which of the updates a submission offers to apply to the profile; the rest are dismissed."""

    decision = forms.ChoiceField(
        choices=[("apply", "Apply the ticked updates"), ("dismiss", "Dismiss all")],
        error_messages={
            "required": "Choose to apply the ticked updates or to dismiss them all.",
            "invalid_choice": "Choose to apply the ticked updates or to dismiss them all.",
        },
    )
    apply = forms.MultipleChoiceField(label="Updates", required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, offered=None, **kwargs):
        super().__init__(*args, **kwargs)
        offered = offered or {}
        self.fields["apply"].choices = [(value, label) for value, label in ProfileTarget.choices if offered.get(value)]

    def clean(self):
        data = super().clean()
        if data.get("decision") == "apply" and not data.get("apply"):
            self.add_error("apply", "Tick the updates to apply, or dismiss them all.")
        return data

    def targets(self) -> list[str]:
        return [] if self.cleaned_data["decision"] == "dismiss" else list(self.cleaned_data["apply"])


class SendForm(forms.Form):
    """Send one form to the patient: by email, or a link for staff to pass on."""

    form_id = forms.ChoiceField(label="Form")
    channel = forms.ChoiceField(
        label="How",
        choices=[("email", "Email it to the patient"), ("copy", "Make a link to copy")],
        widget=forms.RadioSelect,
        initial="email",
    )
    days = forms.IntegerField(label="Link works for (days)", min_value=1, max_value=MAX_LINK_DAYS, initial=LINK_DAYS)

    def __init__(self, *args, published=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form_id"].choices = [(str(f.pk), f.name) for f in published]
