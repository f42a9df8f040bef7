"""Catalog services: validation (every error a 4xx with field errors, nothing written),
permissions per role, tenancy (another clinic's ids are unknown), audit, and selectors."""

from __future__ import annotations

import uuid
from decimal import Decimal

import hypothesis
import pytest
from hypothesis import strategies as st

from medspa.catalog import selectors, services
from medspa.catalog.models import Equipment, Room, Service, ServiceCategory, ServiceProvider, TaxRate
from medspa.catalog.tests.factories import owner_actor
from medspa.core.actors import Actor
from medspa.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from medspa.core.models import AuditEvent, Location
from medspa.core.permissions import ROLE_PERMISSIONS, Role

pytestmark = pytest.mark.django_db

ROLES = [r.value for r in Role]


@pytest.fixture
def actor(clinic, owner):
    return owner_actor(clinic, owner)


def valid(**overrides) -> dict:
    return {"name": "Chemical peel", "duration_minutes": 45, "price": "175.00", **overrides}


def writes() -> tuple:
    return (
        sorted(Service.all_objects.values_list("pk", "version", "name", "deleted_at")),
        ServiceProvider.objects.count(),
        AuditEvent.objects.filter(action__startswith="catalog.").count(),
    )


def test_create_service_with_everything(actor, menu):
    service = services.service_create(
        actor=actor,
        data=valid(
            category_id=menu["category"].pk,
            buffer_before_minutes=5,
            buffer_after_minutes=10,
            taxable=True,
            tax_rate_ids=[menu["tax_rate"].pk],
            deposit_kind="fixed",
            deposit_value="50",
            concerns=["texture", "acne", "acne"],
            treatment_type="non_invasive",
            room_kind="laser",
            equipment_ids=[menu["equipment"].pk],
            provider_ids=[menu["provider"].pk],
            addon_ids=[menu["addon"].pk],
            consultation_service_id=menu["consult"].pk,
            consultation_valid_months=6,
            color="#AABBCC",
        ),
    )
    service = selectors.service_get(actor=actor, service_id=service.pk)
    assert service.price == Decimal("175.00") and service.deposit_amount == Decimal("50.00")
    assert service.concerns == ["acne", "texture"]
    assert service.color == "#aabbcc"
    assert service.total_minutes == 60
    assert list(service.providers.all()) == [menu["provider"]]
    assert list(service.addons.all()) == [menu["addon"]]
    assert ServiceProvider.objects.get(service=service).clinic == actor.clinic
    event = AuditEvent.objects.get(action="catalog.service_created", object_id=str(service.pk))
    assert event.changes["provider_ids"] == [[], [str(menu["provider"].pk)]]


BAD_INPUT = [
    ("duration zero", {"duration_minutes": 0}, "duration_minutes"),
    ("duration negative", {"duration_minutes": -15}, "duration_minutes"),
    ("duration text", {"duration_minutes": "an hour"}, "duration_minutes"),
    ("duration bool", {"duration_minutes": True}, "duration_minutes"),
    ("duration huge", {"duration_minutes": 100_000}, "duration_minutes"),
    ("buffer negative", {"buffer_after_minutes": -5}, "buffer_after_minutes"),
    ("buffer before negative", {"buffer_before_minutes": -1}, "buffer_before_minutes"),
    ("price negative", {"price": "-1"}, "price"),
    ("price text", {"price": "free"}, "price"),
    ("price fractions of cents", {"price": "1.005"}, "price"),
    ("price NaN", {"price": "NaN"}, "price"),
    ("no name", {"name": "   "}, "name"),
    ("deposit percent over 100", {"deposit_kind": "percent", "deposit_value": "150"}, "deposit_value"),
    ("deposit fixed over price", {"deposit_kind": "fixed", "deposit_value": "200"}, "deposit_value"),
    ("deposit without amount", {"deposit_kind": "fixed", "deposit_value": "0"}, "deposit_value"),
    ("deposit kind unknown", {"deposit_kind": "most"}, "deposit_kind"),
    ("concern unknown", {"concerns": ["acne", "vibes"]}, "concerns"),
    ("concerns not a list", {"concerns": "acne"}, "concerns"),
    ("treatment type unknown", {"treatment_type": "surgical"}, "treatment_type"),
    ("room kind unknown", {"room_kind": "spaceship"}, "room_kind"),
    ("colour not hex", {"color": "pink"}, "color"),
    ("taxable without rate", {"taxable": True}, "taxable_rates"),
    ("unknown field", {"clinic_id": str(uuid.uuid4())}, "clinic_id"),
    ("garbage id", {"category_id": "not-an-id"}, "category_id"),
    ("unknown category", {"category_id": str(uuid.uuid4())}, "category_id"),
    ("months without consultation", {"consultation_valid_months": 6}, "consultation_valid_months"),
    ("addon with addons", {"is_addon": True, "addon_ids": ["$addon"]}, "addon_ids"),
    ("addon that is not an addon", {"addon_ids": ["$facial"]}, "addon_ids"),
    ("consultation is an addon", {"consultation_service_id": "$addon"}, "consultation_service_id"),
    ("front desk as provider", {"provider_ids": ["$front_desk"]}, "provider_ids"),
    ("inactive provider", {"provider_ids": ["$former"]}, "provider_ids"),
    # TEN-3: every id from input is checked against the actor's clinic.
    ("other clinic's category", {"category_id": "@category"}, "category_id"),
    ("other clinic's tax rate", {"taxable": True, "tax_rate_ids": ["@tax_rate"]}, "tax_rate_ids"),
    ("other clinic's equipment", {"equipment_ids": ["@equipment"]}, "equipment_ids"),
    ("other clinic's add-on", {"addon_ids": ["@addon"]}, "addon_ids"),
    ("other clinic's consultation", {"consultation_service_id": "@consult"}, "consultation_service_id"),
    ("other clinic's provider", {"provider_ids": ["@owner"]}, "provider_ids"),
]


@pytest.mark.parametrize(("case", "fields", "error"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_service_input_is_refused_and_writes_nothing(
    case, fields, error, actor, menu, other_menu, clinic, make_member, other_clinic_owner
):
    from medspa.accounts.models import Membership

    front_desk = make_member(clinic, Role.FRONT_DESK, email="desk@test.example")
    former = make_member(clinic, Role.PROVIDER, email="former@test.example")
    Membership.objects.filter(user=former).update(is_active=False)
    own = {**menu, "front_desk": front_desk, "former": former}
    other = {**other_menu, "owner": other_clinic_owner}

    def resolve(value):
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, str) and value[:1] in "$@":
            return (own if value[0] == "$" else other)[value[1:]].pk
        return value

    data = valid(**{k: resolve(v) for k, v in fields.items()})
    before = writes()
    with pytest.raises(InvalidInput) as caught:
        services.service_create(actor=actor, data=data)
    assert caught.value.status == 422
    expected = "tax_rate_ids" if error == "taxable_rates" else error
    assert expected in caught.value.fields, caught.value.fields
    assert writes() == before


def test_update_rules_see_the_final_values(actor, menu):
    ipl = menu["ipl"]
    with pytest.raises(InvalidInput) as caught:
        services.service_update(actor=actor, service_id=ipl.pk, data={"consultation_service_id": ipl.pk})
    assert "consultation_service_id" in caught.value.fields
    with pytest.raises(InvalidInput) as caught:
        services.service_update(actor=actor, service_id=ipl.pk, data={"addon_ids": [ipl.pk]})
    assert "addon_ids" in caught.value.fields
    # The fixed deposit is checked against the new price.
    services.service_update(actor=actor, service_id=ipl.pk, data={"deposit_kind": "fixed", "deposit_value": 100})
    with pytest.raises(InvalidInput) as caught:
        services.service_update(actor=actor, service_id=ipl.pk, data={"price": "80.00"})
    assert "deposit_value" in caught.value.fields
    # An add-on offered by another service cannot stop being an add-on.
    with pytest.raises(InvalidInput) as caught:
        services.service_update(actor=actor, service_id=menu["addon"].pk, data={"is_addon": False})
    assert "is_addon" in caught.value.fields
    # Turning taxation off drops the rates; the deposit kind "none" clears the amount.
    facial = services.service_update(
        actor=actor, service_id=menu["facial"].pk, data={"taxable": False, "deposit_kind": "none"}
    )
    assert facial.tax_rates.count() == 0 and facial.deposit_value == 0


def test_update_bumps_version_and_refuses_stale_edits(actor, menu):
    facial = menu["facial"]
    updated = services.service_update(
        actor=actor, service_id=facial.pk, data={"price": "250.00"}, version=facial.version
    )
    assert updated.version == facial.version + 1
    assert AuditEvent.objects.get(action="catalog.service_updated").changes["price"] == ["225.00", "250.00"]
    with pytest.raises(Conflict):
        services.service_update(actor=actor, service_id=facial.pk, data={"price": "1.00"}, version=facial.version)
    assert Service.objects.get(pk=facial.pk).price == Decimal("250.00")


def test_unchanged_update_writes_no_audit(actor, menu):
    before = writes()
    services.service_update(actor=actor, service_id=menu["facial"].pk, data={"name": "Facial"})
    assert writes() == before


def test_duplicate_names_conflict(actor, menu):
    with pytest.raises(Conflict) as caught:
        services.service_create(actor=actor, data=valid(name="facial"))
    assert caught.value.status == 409 and "name" in caught.value.fields
    with pytest.raises(Conflict):
        services.tax_rate_create(actor=actor, data={"name": "SALES TAX", "rate": 5})
    with pytest.raises(Conflict):
        services.category_create(actor=actor, data={"name": "Skin"})
    with pytest.raises(Conflict):
        services.room_create(
            actor=actor, data={"location_id": menu["location"].pk, "name": "Laser room", "kind": "laser"}
        )


def test_room_name_is_unique_per_location_only(actor, menu, clinic):
    second = Location.objects.create(clinic=clinic, name="Uptown", timezone="America/New_York")
    room = services.room_create(actor=actor, data={"location_id": second.pk, "name": "Laser room", "kind": "laser"})
    assert room.location == second and room.capacity == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "Room", "kind": "laser"}, "location_id"),
        ({"location_id": "$other", "name": "Room", "kind": "laser"}, "location_id"),
        ({"location_id": "$own", "name": "Room", "kind": "garage"}, "kind"),
        ({"location_id": "$own", "name": "Room", "kind": "laser", "capacity": 0}, "capacity"),
        ({"location_id": "$own", "name": "", "kind": "laser"}, "name"),
    ],
)
def test_bad_room_input(actor, menu, other_menu, data, field):
    ids = {"$own": menu["location"].pk, "$other": other_menu["location"].pk}
    data = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in data.items()}
    before = Room.objects.count()
    with pytest.raises(InvalidInput) as caught:
        services.room_create(actor=actor, data=data)
    assert field in caught.value.fields
    assert Room.objects.count() == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"location_id": "$other", "name": "Laser", "kind": "laser"}, "location_id"),
        ({"location_id": "$own", "name": "Laser", "kind": "laser", "quantity": 0}, "quantity"),
        ({"location_id": "$own", "name": "Laser", "kind": "laser", "quantity": -2}, "quantity"),
        ({"location_id": "$own", "name": "Laser", "kind": "toaster"}, "kind"),
    ],
)
def test_bad_equipment_input(actor, menu, other_menu, data, field):
    ids = {"$own": menu["location"].pk, "$other": other_menu["location"].pk}
    data = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in data.items()}
    before = Equipment.objects.count()
    with pytest.raises(InvalidInput) as caught:
        services.equipment_create(actor=actor, data=data)
    assert field in caught.value.fields
    assert Equipment.objects.count() == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "VAT", "rate": "101"}, "rate"),
        ({"name": "VAT", "rate": "-1"}, "rate"),
        ({"name": "VAT", "rate": "8.8755"}, "rate"),
        ({"name": "", "rate": "5"}, "name"),
    ],
)
def test_bad_tax_rate_input(actor, data, field):
    with pytest.raises(InvalidInput) as caught:
        services.tax_rate_create(actor=actor, data=data)
    assert field in caught.value.fields
    assert TaxRate.objects.count() == 0


@pytest.mark.parametrize("role", ROLES)
def test_only_managers_write_and_every_role_reads(role, clinic, make_member, menu):
    actor = Actor.staff(user=make_member(clinic, role, email=f"{role}@x.example"), clinic=clinic, role=role)
    manages = "catalog.manage" in ROLE_PERMISSIONS[role]
    assert manages == (role in (Role.OWNER, Role.ADMIN))
    assert "catalog.view" in ROLE_PERMISSIONS[role]
    assert selectors.services_for(actor=actor).count() == 4
    calls = [
        lambda: services.service_create(actor=actor, data=valid(name=f"New {role}")),
        lambda: services.service_update(actor=actor, service_id=menu["facial"].pk, data={"price": "1"}),
        lambda: services.service_archive(actor=actor, service_id=menu["facial"].pk),
        lambda: services.room_archive(actor=actor, room_id=menu["room"].pk),
        lambda: services.equipment_update(actor=actor, equipment_id=menu["equipment"].pk, data={"quantity": 2}),
        lambda: services.tax_rate_archive(actor=actor, tax_rate_id=menu["tax_rate"].pk),
        lambda: services.category_update(actor=actor, category_id=menu["category"].pk, data={"name": "X"}),
    ]
    if manages:
        for call in calls:
            call()
        assert not Service.objects.filter(pk=menu["facial"].pk).exists()
    else:
        before = writes()
        for call in calls:
            with pytest.raises(PermissionDenied):
                call()
        assert writes() == before


def test_other_clinic_rows_look_missing(actor, other_menu):
    before = writes()
    refused = [
        lambda: services.service_update(actor=actor, service_id=other_menu["facial"].pk, data={"price": "1"}),
        lambda: services.service_archive(actor=actor, service_id=other_menu["facial"].pk),
        lambda: services.room_update(actor=actor, room_id=other_menu["room"].pk, data={"name": "Mine"}),
        lambda: services.equipment_archive(actor=actor, equipment_id=other_menu["equipment"].pk),
        lambda: services.tax_rate_update(actor=actor, tax_rate_id=other_menu["tax_rate"].pk, data={"rate": 1}),
        lambda: services.category_delete(actor=actor, category_id=other_menu["category"].pk),
        lambda: selectors.service_get(actor=actor, service_id=other_menu["facial"].pk),
        lambda: selectors.room_get(actor=actor, room_id=other_menu["room"].pk),
        lambda: services.service_update(actor=actor, service_id="not-a-uuid", data={}),
    ]
    for call in refused:
        with pytest.raises(NotFound):
            call()
    assert writes() == before
    assert selectors.services_for(actor=actor).count() == 0


def test_archive_hides_the_service_and_keeps_the_row(actor, menu):
    services.service_archive(actor=actor, service_id=menu["facial"].pk)
    assert menu["facial"].pk not in {s.pk for s in selectors.services_for(actor=actor)}
    assert Service.all_objects.get(pk=menu["facial"].pk).deleted_at is not None
    assert AuditEvent.objects.filter(action="catalog.service_archived").count() == 1
    # The name is free again for a new service.
    services.service_create(actor=actor, data=valid(name="Facial"))


def test_archived_addon_disappears_from_its_service(actor, menu):
    services.service_archive(actor=actor, service_id=menu["addon"].pk)
    ipl = selectors.service_get(actor=actor, service_id=menu["ipl"].pk)
    assert list(ipl.addons.all()) == []


def test_a_required_consultation_cannot_be_archived(actor, menu):
    with pytest.raises(Conflict):
        services.service_archive(actor=actor, service_id=menu["consult"].pk)
    assert Service.objects.filter(pk=menu["consult"].pk).exists()


def test_category_delete_only_when_empty(actor, menu):
    with pytest.raises(Conflict):
        services.category_delete(actor=actor, category_id=menu["category"].pk)
    empty = services.category_create(actor=actor, data={"name": "Body"})
    services.category_delete(actor=actor, category_id=empty.pk)
    assert not ServiceCategory.objects.filter(pk=empty.pk).exists()
    assert AuditEvent.objects.filter(action="catalog.category_deleted", object_id=str(empty.pk)).exists()


def test_archiving_rooms_equipment_and_rates_deactivates_them(actor, menu):
    services.room_archive(actor=actor, room_id=menu["room"].pk)
    services.equipment_archive(actor=actor, equipment_id=menu["equipment"].pk)
    services.tax_rate_archive(actor=actor, tax_rate_id=menu["tax_rate"].pk)
    assert list(selectors.rooms_for(actor=actor)) == [menu["consult_room"]]
    assert list(selectors.equipment_for(actor=actor)) == []
    assert list(selectors.tax_rates_for(actor=actor)) == []
    assert selectors.tax_rates_for(actor=actor, include_inactive=True).count() == 1


def test_services_for_filters(actor, menu, clinic):
    names = lambda qs: sorted(s.name for s in qs)  # noqa: E731
    assert names(selectors.services_for(actor=actor, online_only=True)) == ["Consultation", "Facial"]
    assert names(selectors.services_for(actor=actor, provider=menu["provider"])) == ["Consultation", "IPL photofacial"]
    assert names(selectors.services_for(actor=actor, concern="redness")) == ["IPL photofacial"]
    assert names(selectors.services_for(actor=actor, category=menu["category"], include_addons=False)) == [
        "Facial",
        "IPL photofacial",
    ]
    assert names(selectors.services_for(actor=actor, treatment_type="invasive")) == []
    # A location without a laser room or the IPL device cannot do the IPL photofacial.
    annex = Location.objects.create(clinic=clinic, name="Annex", timezone="America/New_York")
    assert "IPL photofacial" not in names(selectors.services_for(actor=actor, location=annex))
    assert "IPL photofacial" in names(selectors.services_for(actor=actor, location=menu["location"]))
    services.room_create(actor=actor, data={"location_id": annex.pk, "name": "Laser", "kind": "laser"})
    assert "IPL photofacial" not in names(selectors.services_for(actor=actor, location=annex))
    device = services.equipment_create(actor=actor, data={"location_id": annex.pk, "name": "IPL", "kind": "ipl"})
    services.service_update(
        actor=actor, service_id=menu["ipl"].pk, data={"equipment_ids": [menu["equipment"].pk, device.pk]}
    )
    assert "IPL photofacial" in names(selectors.services_for(actor=actor, location=annex))
    assert "Consultation" not in names(selectors.services_for(actor=actor, location=annex))


def test_service_providers_drops_members_who_left(actor, menu):
    from medspa.accounts.models import Membership

    assert list(selectors.service_providers(actor=actor, service=menu["ipl"])) == [menu["provider"]]
    Membership.objects.filter(user=menu["provider"]).update(is_active=False)
    assert list(selectors.service_providers(actor=actor, service=menu["ipl"])) == []


def test_services_for_query_count_is_bounded(actor, menu, django_assert_max_num_queries):
    for n in range(20):
        services.service_create(
            actor=actor,
            data=valid(name=f"Peel {n}", provider_ids=[menu["provider"].pk], addon_ids=[menu["addon"].pk]),
        )
    with django_assert_max_num_queries(6):
        for service in selectors.services_for(actor=actor):
            list(service.providers.all()), list(service.addons.all()), list(service.equipment.all())
            list(service.tax_rates.all()), service.category


FK_FIELDS = {
    "category_id": ("category", False),
    "consultation_service_id": ("consult", False),
    "tax_rate_ids": ("tax_rate", True),
    "equipment_ids": ("equipment", True),
    "addon_ids": ("addon", True),
    "provider_ids": ("owner", True),
}


@hypothesis.settings(
    max_examples=40, deadline=None, suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture]
)
@hypothesis.given(
    smuggled=st.sets(st.sampled_from(sorted(FK_FIELDS)), min_size=1),
    mixed_with_own=st.booleans(),
    updating=st.booleans(),
)
def test_ten3_other_clinic_ids_are_never_stored(
    actor, menu, other_menu, other_clinic_owner, smuggled, mixed_with_own, updating
):
    """TEN-3: any combination of another clinic's ids in a write is refused; nothing stored."""
    own = {**menu, "owner": menu["provider"]}
    other = {**other_menu, "owner": other_clinic_owner}
    data = valid(name="Smuggled", taxable=True, tax_rate_ids=[menu["tax_rate"].pk])
    for name, (key, many) in FK_FIELDS.items():
        if name in smuggled:
            ids = [other[key].pk, *([own[key].pk] if mixed_with_own else [])]
            data[name] = ids if many else ids[0]
    before = writes()
    with pytest.raises(InvalidInput) as caught:
        if updating:
            data.pop("name")
            services.service_update(actor=actor, service_id=menu["facial"].pk, data=data)
        else:
            services.service_create(actor=actor, data=data)
    assert smuggled <= set(caught.value.fields)
    assert writes() == before
