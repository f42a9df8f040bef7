"""Forms of the chart pages: they parse and label; the services decide."""

from __future__ import annotations

from django import forms


class SignForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Signing binds this chart to you; your password confirms it is you.",
    )
    override_reason = forms.CharField(
        label="Reason to sign with items missing",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AmendForm(forms.Form):
    reason = forms.CharField(label="Reason for the amendment", max_length=300)
    text = forms.CharField(label="Amendment", max_length=10000, widget=forms.Textarea(attrs={"rows": 4}))
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ReplyForm(forms.Form):
    comment = forms.CharField(
        label="Your reply to the medical director", max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class NewChartForm(forms.Form):
    template_id = forms.ChoiceField(label="Template")

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template_id"].choices = [(str(t.pk), t.name) for t in templates]
