"""The service menu (categories, services, add-ons, tax rates) and the rooms and equipment
each location has. Services are what the calendar books; rooms and equipment are the
resources a booking may hold."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from medspa.catalog.choices import (
    DEFAULT_SERVICE_COLOR,
    MAX_BUFFER_MINUTES,
    MAX_CONSULTATION_MONTHS,
    MAX_DURATION_MINUTES,
    DepositKind,
    EquipmentKind,
    RoomKind,
    TreatmentType,
)
from medspa.core.models import SoftDeleteModel, TenantModel


class TaxRate(TenantModel):
    """A named sales tax the clinic charges (e.g. "Sales tax", 8.875 %); archived = inactive."""

    name = models.CharField(max_length=80)
    rate = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percent, e.g. 8.875",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="taxrate_unique_name"),
            models.CheckConstraint(condition=Q(rate__gte=0, rate__lte=100), name="taxrate_rate_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.rate.normalize()} %)"


class ServiceCategory(TenantModel):
    """A heading of the service menu (Injectables, Laser & Light, …), ordered by `position`."""

    name = models.CharField(max_length=80)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="servicecategory_unique_name")]

    def __str__(self) -> str:
        return self.name


class Room(TenantModel):
    """A room at a location. `capacity` is how many appointments it holds at once (usually 1)."""

    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=24, choices=RoomKind.choices, default=RoomKind.TREATMENT)
    capacity = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(50)])
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "location", "name"], name="room_unique_name"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="room_capacity_positive"),
        ]
        indexes = [models.Index(fields=["clinic", "location", "kind"], name="room_clinic_location_kind")]

    def __str__(self) -> str:
        return self.name


class Equipment(TenantModel):
    """A named device at a location (e.g. "IPL laser"); `quantity` units can be in use at once."""

    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=24, choices=EquipmentKind.choices, default=EquipmentKind.OTHER)
    quantity = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(50)])
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "equipment"
        constraints = [
            models.UniqueConstraint(fields=["clinic", "location", "name"], name="equipment_unique_name"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="equipment_quantity_positive"),
        ]
        indexes = [models.Index(fields=["clinic", "location"], name="equipment_clinic_location")]

    def __str__(self) -> str:
        return self.name


class Service(SoftDeleteModel):
    """A treatment on the menu: how long it takes, what it costs, who performs it and what it needs.

    Resources: a service with `room_kind` needs an active room of that kind; a service with
    linked `equipment` can be performed only at the locations where one of its linked
    devices is, and there it needs each linked device located there. Add-ons
    (`is_addon`) attach to the services that list them in `addons`; an add-on has no
    add-ons of its own. `version` increments on every change (stale edits get 409).
    """

    category = models.ForeignKey(
        ServiceCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    duration_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DURATION_MINUTES)]
    )
    buffer_before_minutes = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(MAX_BUFFER_MINUTES)])
    buffer_after_minutes = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(MAX_BUFFER_MINUTES)])
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    taxable = models.BooleanField(default=False)
    tax_rates = models.ManyToManyField(TaxRate, through="ServiceTaxRate", blank=True, related_name="+")
    deposit_kind = models.CharField(max_length=8, choices=DepositKind.choices, default=DepositKind.NONE)
    deposit_value = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text="An amount for a fixed deposit, a percent of the price for a percent deposit.",
    )
    bookable_online = models.BooleanField(default=False)
    consultation_service = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A consultation the patient must have had before booking this.",
    )
    consultation_valid_months = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_CONSULTATION_MONTHS)]
    )
    concerns = models.JSONField(default=list, blank=True)
    treatment_type = models.CharField(max_length=16, choices=TreatmentType.choices, default=TreatmentType.NON_INVASIVE)
    room_kind = models.CharField(max_length=24, choices=RoomKind.choices, blank=True)
    equipment = models.ManyToManyField(Equipment, through="ServiceEquipment", blank=True, related_name="services")
    providers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ServiceProvider", blank=True, related_name="catalog_services"
    )
    color = models.CharField(max_length=7, default=DEFAULT_SERVICE_COLOR, help_text="Hex colour, e.g. #a855f7")
    is_addon = models.BooleanField(default=False)
    addons = models.ManyToManyField(
        "self",
        through="ServiceAddon",
        through_fields=("service", "addon"),
        symmetrical=False,
        blank=True,
        related_name="addon_for",
    )
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "name"], condition=Q(deleted_at__isnull=True), name="service_unique_live_name"
            ),
            models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="service_duration_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="service_price_not_negative"),
            models.CheckConstraint(condition=Q(deposit_value__gte=0), name="service_deposit_not_negative"),
            models.CheckConstraint(
                condition=~Q(deposit_kind="percent") | Q(deposit_value__lte=100), name="service_deposit_percent"
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "active", "position"], name="service_clinic_menu"),
            models.Index(fields=["clinic", "category"], name="service_clinic_category"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def deposit_amount(self):
        """The deposit in money (rounded half-up to cents); zero when none is asked."""
        from decimal import ROUND_HALF_UP, Decimal

        if self.deposit_kind == DepositKind.FIXED:
            return self.deposit_value
        if self.deposit_kind == DepositKind.PERCENT:
            return (self.price * self.deposit_value / Decimal(100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return Decimal("0.00")

    @property
    def total_minutes(self) -> int:
        """Time the service blocks: buffer before + duration + buffer after."""
        return self.buffer_before_minutes + self.duration_minutes + self.buffer_after_minutes


class ServiceProvider(TenantModel):
    """A staff member who performs a service."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "service", "user"], name="serviceprovider_unique")]
        indexes = [models.Index(fields=["clinic", "user"], name="serviceprovider_clinic_user")]


class ServiceEquipment(TenantModel):
    """A device a service needs."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "service", "equipment"], name="serviceequipment_unique")
        ]
        indexes = [models.Index(fields=["clinic", "equipment"], name="serviceequipment_clinic_eq")]


class ServiceTaxRate(TenantModel):
    """A tax rate charged on a taxable service."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    tax_rate = models.ForeignKey(TaxRate, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "service", "tax_rate"], name="servicetaxrate_unique")]
        indexes = [models.Index(fields=["clinic", "tax_rate"], name="servicetaxrate_clinic_rate")]


class ServiceAddon(TenantModel):
    """An add-on (`addon`) that can be attached to a booking of `service`."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    addon = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "service", "addon"], name="serviceaddon_unique")]
        indexes = [models.Index(fields=["clinic", "addon"], name="serviceaddon_clinic_addon")]
