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
    # Filled by the signature pad (a PNG data URL) when the provider draws their signature.
    signature_image = forms.CharField(required=False, max_length=420_000, widget=forms.HiddenInput)


class AmendForm(forms.Form):
    """An amendment: reason and text, and optionally a corrected product row (the lot, expiry
    or amount that was recorded wrongly) — the original row stays as signed."""

    reason = forms.CharField(label="Reason for the amendment", max_length=300)
    text = forms.CharField(
        label="Amendment", max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    correct_product = forms.ChoiceField(label="Correct a product row", required=False)
    lot_number = forms.CharField(label="Corrected lot number", max_length=60, required=False)
    expiry_date = forms.DateField(
        label="Corrected expiry date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    quantity = forms.DecimalField(label="Corrected amount", required=False, min_value=0, max_digits=9, decimal_places=3)
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.products = {p["id"]: p for p in products}
        self.fields["correct_product"].choices = [("", "No product correction")] + [
            (p["id"], f"{p['name']} · lot {p.get('lot_number') or '—'}") for p in products
        ]

    def corrections(self) -> list[dict]:
        """The corrected product row (the original with the typed changes), if one was chosen."""
        chosen = self.products.get(self.cleaned_data.get("correct_product") or "")
        if chosen is None:
            return []
        row = dict(chosen)
        if self.cleaned_data.get("lot_number"):
            row["lot_number"] = self.cleaned_data["lot_number"]
        if self.cleaned_data.get("expiry_date"):
            row["expiry_date"] = self.cleaned_data["expiry_date"].isoformat()
        if self.cleaned_data.get("quantity") is not None:
            row["quantity"] = str(self.cleaned_data["quantity"])
        return [row]


class ReplyForm(forms.Form):
    comment = forms.CharField(
        label="Your reply to the medical director", max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class NewChartForm(forms.Form):
    template_id = forms.ChoiceField(label="Template")

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template_id"].choices = [(str(t.pk), t.name) for t in templates]
