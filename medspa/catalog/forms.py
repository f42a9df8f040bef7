"""Forms for the catalog settings pages: parse what staff type into the data the services
take (ids for every choice). Choices come from the actor's clinic only; the services check
every value again."""

from __future__ import annotations

from django import forms

from medspa.catalog import selectors
from medspa.catalog.choices import (
    DEFAULT_SERVICE_COLOR,
    MAX_BUFFER_MINUTES,
    MAX_CONSULTATION_MONTHS,
    MAX_DURATION_MINUTES,
    Concern,
    DepositKind,
    EquipmentKind,
    RoomKind,
    TreatmentType,
)

CHECKBOXES = forms.CheckboxSelectMultiple


class _IdsForm(forms.Form):
    """Turns model choices into ids for the services (`to_data`)."""

    def to_data(self) -> dict:
        data = {}
        for name, value in self.cleaned_data.items():
            if name == "version":
                continue
            if hasattr(value, "pk"):
                value = value.pk
            elif isinstance(value, list | tuple) or hasattr(value, "values_list"):
                value = [getattr(v, "pk", v) for v in value]
            data[name] = value
        return data


class ProviderChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.full_name or obj.email


class EquipmentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} · {obj.location.name}"


class ServiceForm(_IdsForm):
    name = forms.CharField(max_length=120)
    category_id = forms.ModelChoiceField(queryset=None, required=False, label="Category", empty_label="No category")
    description = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Shown when booking."
    )
    duration_minutes = forms.IntegerField(min_value=1, max_value=MAX_DURATION_MINUTES, label="Duration (minutes)")
    buffer_before_minutes = forms.IntegerField(
        min_value=0, max_value=MAX_BUFFER_MINUTES, initial=0, label="Buffer before (minutes)", help_text="Set-up time."
    )
    buffer_after_minutes = forms.IntegerField(
        min_value=0, max_value=MAX_BUFFER_MINUTES, initial=0, label="Buffer after (minutes)", help_text="Clean-up time."
    )
    price = forms.DecimalField(min_value=0, max_digits=10, decimal_places=2, label="Price")
    taxable = forms.BooleanField(required=False, label="Charge tax on this service")
    tax_rate_ids = forms.ModelMultipleChoiceField(queryset=None, required=False, widget=CHECKBOXES, label="Tax rates")
    deposit_kind = forms.ChoiceField(
        choices=DepositKind.choices, initial=DepositKind.NONE, widget=forms.RadioSelect, label="Deposit"
    )
    deposit_value = forms.DecimalField(
        min_value=0,
        max_digits=10,
        decimal_places=2,
        required=False,
        label="Deposit amount or percent",
        help_text="An amount for a fixed deposit, a percent (up to 100) for a percent deposit.",
    )
    bookable_online = forms.BooleanField(required=False, label="Bookable online")
    consultation_service_id = forms.ModelChoiceField(
        queryset=None, required=False, label="Requires a prior consultation", empty_label="No consultation needed"
    )
    consultation_valid_months = forms.IntegerField(
        min_value=1,
        max_value=MAX_CONSULTATION_MONTHS,
        required=False,
        label="Consultation valid for (months)",
        help_text="Leave empty if any past consultation counts.",
    )
    concerns = forms.MultipleChoiceField(choices=Concern.choices, required=False, widget=CHECKBOXES)
    treatment_type = forms.ChoiceField(
        choices=TreatmentType.choices, initial=TreatmentType.NON_INVASIVE, widget=forms.RadioSelect
    )
    room_kind = forms.ChoiceField(
        choices=[("", "No particular room"), *RoomKind.choices], required=False, label="Room needed"
    )
    equipment_ids = EquipmentChoiceField(queryset=None, required=False, widget=CHECKBOXES, label="Equipment needed")
    provider_ids = ProviderChoiceField(queryset=None, required=False, widget=CHECKBOXES, label="Performed by")
    color = forms.CharField(
        max_length=7, initial=DEFAULT_SERVICE_COLOR, widget=forms.TextInput(attrs={"type": "color"}), label="Colour"
    )
    is_addon = forms.BooleanField(
        required=False, label="This is an add-on", help_text="Add-ons attach to another service's booking."
    )
    addon_ids = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=CHECKBOXES, label="Add-ons offered with this service"
    )
    active = forms.BooleanField(required=False, initial=True, label="Offered (uncheck to pause)")
    position = forms.IntegerField(min_value=0, max_value=10_000, initial=0, label="Order in its category")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, actor, service=None, **kwargs):
        if service is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_for(service)
        super().__init__(*args, **kwargs)
        own = service.pk if service is not None else None
        self.fields["category_id"].queryset = selectors.categories_for(actor=actor)
        self.fields["tax_rate_ids"].queryset = selectors.tax_rates_for(actor=actor, include_inactive=own is not None)
        self.fields["consultation_service_id"].queryset = selectors.consultation_choices(actor=actor).exclude(pk=own)
        self.fields["equipment_ids"].queryset = selectors.equipment_for(actor=actor, include_inactive=own is not None)
        self.fields["provider_ids"].queryset = selectors.provider_candidates(actor=actor)
        self.fields["addon_ids"].queryset = selectors.addon_choices(actor=actor).exclude(pk=own)

    def to_data(self) -> dict:
        data = super().to_data()
        if data.get("deposit_value") is None:
            data["deposit_value"] = 0
        return data


def initial_for(service) -> dict:
    initial = {name: getattr(service, name) for name in ServiceForm.base_fields if hasattr(service, name)}
    initial |= {
        "category_id": service.category_id,
        "consultation_service_id": service.consultation_service_id,
        "tax_rate_ids": [r.pk for r in service.tax_rates.all()],
        "equipment_ids": [e.pk for e in service.equipment.all()],
        "provider_ids": [u.pk for u in service.providers.all()],
        "addon_ids": [a.pk for a in service.addons.all()],
    }
    return initial


class _LocatedForm(_IdsForm):
    location_id = forms.ModelChoiceField(queryset=None, label="Location", empty_label=None)
    name = forms.CharField(max_length=80)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location_id"].queryset = selectors.locations_for(actor=actor)


class RoomForm(_LocatedForm):
    kind = forms.ChoiceField(choices=RoomKind.choices, label="Kind of room")
    capacity = forms.IntegerField(
        min_value=1, max_value=50, initial=1, help_text="How many appointments it holds at once."
    )
    active = forms.BooleanField(required=False, initial=True, label="In use")


class EquipmentForm(_LocatedForm):
    kind = forms.ChoiceField(choices=EquipmentKind.choices, label="Kind of device")
    quantity = forms.IntegerField(min_value=1, max_value=50, initial=1, help_text="How many units this location has.")
    active = forms.BooleanField(required=False, initial=True, label="In use")


class TaxRateForm(_IdsForm):
    name = forms.CharField(max_length=80, help_text="As it appears on receipts, e.g. “Sales tax”.")
    rate = forms.DecimalField(min_value=0, max_value=100, max_digits=6, decimal_places=3, label="Rate (%)")
    active = forms.BooleanField(required=False, initial=True, label="Charged")

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)


class CategoryForm(_IdsForm):
    name = forms.CharField(max_length=80)
    position = forms.IntegerField(
        min_value=0, max_value=10_000, required=False, label="Order", help_text="Lower numbers come first."
    )

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)

    def to_data(self) -> dict:
        data = super().to_data()
        if data.get("position") is None:
            data.pop("position", None)
        return data
