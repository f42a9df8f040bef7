"""Forms of the form builder's settings pages: a form's details, and the publish question."""

from __future__ import annotations

from django import forms

from medspa.consents.choices import FormKind
from medspa.consents.services.forms import MAX_VALID_DAYS


class FormDetailsForm(forms.Form):
    """What a form is called, what kind it is, how long a completed one counts and whether a
    patient may start from their previous answers (the service checks all of it again)."""

    name = forms.CharField(label="Name", max_length=120)
    kind = forms.ChoiceField(label="Kind", choices=FormKind.choices)
    description = forms.CharField(
        label="Description", max_length=300, required=False, help_text="Shown to staff in the list of forms."
    )
    valid_days = forms.IntegerField(
        label="Valid for (days)",
        min_value=1,
        max_value=MAX_VALID_DAYS,
        required=False,
        help_text="Leave empty: a completed form counts until the patient revokes it.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "Until revoked"}),
    )
    prefill = forms.BooleanField(
        label="Start from the patient's previous answers",
        required=False,
        help_text="Returning patients review and confirm what they answered last time.",
    )


class PublishForm(forms.Form):
    """The publish question: is the change material (patients sign again), and a note."""

    material = forms.TypedChoiceField(
        label="Is this a material change?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        required=False,
    )
    note = forms.CharField(label="Change note", max_length=300, required=False)
    base_version = forms.IntegerField(min_value=0, required=False)
