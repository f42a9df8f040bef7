"""Catalog settings pages: lists for every role, forms for managers, inline errors with
nothing written, other clinic's rows missing, and a bounded query count."""

from __future__ import annotations

from decimal import Decimal

import pytest

from medspa.catalog import services
from medspa.catalog.models import Equipment, Room, Service, ServiceCategory, TaxRate
from medspa.catalog.tests.factories import owner_actor
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role

pytestmark = pytest.mark.django_db

LIST_PAGES = ["/settings/services/", "/settings/rooms/", "/settings/tax-rates/"]


@pytest.fixture
def owner_client(owner, login):
    return login(owner)


def service_post(menu, **overrides) -> dict:
    data = {
        "name": "Chemical peel",
        "category_id": str(menu["category"].pk),
        "description": "Medium-depth peel.",
        "duration_minutes": "45",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "10",
        "price": "175.00",
        "taxable": "on",
        "tax_rate_ids": [str(menu["tax_rate"].pk)],
        "deposit_kind": "none",
        "deposit_value": "",
        "bookable_online": "on",
        "consultation_service_id": "",
        "consultation_valid_months": "",
        "concerns": ["acne", "texture"],
        "treatment_type": "non_invasive",
        "room_kind": "facial",
        "provider_ids": [str(menu["provider"].pk)],
        "addon_ids": [str(menu["addon"].pk)],
        "color": "#14b8a6",
        "active": "on",
        "position": "3",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_services_list_groups_by_category(owner_client, menu, other_menu):
    response = owner_client.get("/settings/services/")
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        html.index("Skin")
        < html.index("IPL photofacial")
        < html.index("No category")
        < html.index(">Consultation</span>")
    )
    assert 'fill="#a855f7"' in html and "$400.00" in html and "20 %" in html
    assert "Add service" in html and f"/settings/services/{menu['ipl'].pk}/" in html
    assert "(other)" not in html


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.FRONT_DESK, Role.BILLING, Role.MEDICAL_DIRECTOR, Role.READ_ONLY])
def test_viewers_see_lists_without_edit_controls(role, clinic, make_member, login, menu):
    client = login(make_member(clinic, role, email=f"{role}@x.example"))
    for url in LIST_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "/new/" not in html and "Edit<" not in html
    assert client.get("/settings/services/new/").status_code == 403
    before = Service.objects.count()
    assert client.post("/settings/services/new/", service_post(menu, name="Sneaky")).status_code == 403
    assert Service.objects.count() == before


def test_settings_nav_opens_services_for_non_admins(clinic, make_member, login, menu):
    client = login(make_member(clinic, Role.FRONT_DESK, email="desk@x.example"))
    html = client.get("/settings/services/").content.decode()
    assert 'href="/settings/services/"' in html and "Tax rates" in html
    assert 'href="/settings/staff/"' not in html


def test_empty_states(owner_client):
    html = owner_client.get("/settings/services/").content.decode()
    assert "No services yet" in html and "/settings/services/new/" in html
    assert "No tax rates yet" in owner_client.get("/settings/tax-rates/").content.decode()
    html = owner_client.get("/settings/rooms/").content.decode()
    assert "No rooms yet" in html and "No equipment yet" in html


def test_create_service_from_the_form(owner_client, menu):
    response = owner_client.post("/settings/services/new/", service_post(menu))
    assert response.status_code == 302 and response["Location"] == "/settings/services/"
    service = Service.objects.get(name="Chemical peel")
    assert service.price == Decimal("175.00") and service.taxable and service.bookable_online
    assert list(service.providers.all()) == [menu["provider"]]
    assert list(service.addons.all()) == [menu["addon"]]
    assert service.concerns == ["acne", "texture"] and service.room_kind == "facial"
    assert AuditEvent.objects.filter(action="catalog.service_created", object_id=str(service.pk)).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"duration_minutes": "0"}, "greater than or equal to 1"),
        ({"price": "-5"}, "greater than or equal to 0"),
        ({"buffer_after_minutes": "-1"}, "greater than or equal to 0"),
        ({"deposit_kind": "percent", "deposit_value": "150"}, "cannot be more than 100"),
        ({"deposit_kind": "fixed", "deposit_value": "500"}, "cannot be more than the price"),
        ({"tax_rate_ids": []}, "Choose the tax rate"),
        ({"consultation_service_id": "$addon"}, "Select a valid choice"),
        ({"provider_ids": ["$owner_of_other"]}, "Select a valid choice"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_bad_form_input_shows_inline_errors_and_writes_nothing(
    owner_client, menu, other_clinic_owner, overrides, message
):
    ids = {"$addon": str(menu["addon"].pk), "$owner_of_other": str(other_clinic_owner.pk)}
    overrides = {
        k: ([ids.get(x, x) for x in v] if isinstance(v, list) else ids.get(v, v)) for k, v in overrides.items()
    }
    before = (Service.objects.count(), AuditEvent.objects.filter(action__startswith="catalog.").count())
    response = owner_client.post("/settings/services/new/", service_post(menu, **overrides))
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html and 'class="field-errors"' in html and "Some fields need attention" in html
    assert 'value="Chemical peel"' in html or overrides.get("name") == ""  # what was typed is kept
    assert (Service.objects.count(), AuditEvent.objects.filter(action__startswith="catalog.").count()) == before


def test_duplicate_name_is_an_inline_error(owner_client, menu):
    response = owner_client.post("/settings/services/new/", service_post(menu, name="Facial"))
    assert response.status_code == 422 and "Already in use." in response.content.decode()


def test_edit_service_and_stale_version(owner_client, menu):
    ipl = menu["ipl"]
    page = owner_client.get(f"/settings/services/{ipl.pk}/")
    assert page.status_code == 200 and 'value="IPL photofacial"' in page.content.decode()
    data = service_post(menu, name="IPL photofacial", price="450.00", version=str(ipl.version), tax_rate_ids=[])
    data.pop("taxable")
    response = owner_client.post(f"/settings/services/{ipl.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Service.objects.get(pk=ipl.pk).price == Decimal("450.00")
    stale = owner_client.post(f"/settings/services/{ipl.pk}/", {**data, "price": "1.00"})
    assert stale.status_code == 422 and "Someone else changed this service" in stale.content.decode()
    assert Service.objects.get(pk=ipl.pk).price == Decimal("450.00")


def test_archive_service(owner_client, menu):
    assert owner_client.get(f"/settings/services/{menu['facial'].pk}/archive/").status_code == 405
    response = owner_client.post(f"/settings/services/{menu['facial'].pk}/archive/")
    assert response.status_code == 302 and not Service.objects.filter(pk=menu["facial"].pk).exists()
    # A consultation other services require is refused with a message, not archived.
    response = owner_client.post(f"/settings/services/{menu['consult'].pk}/archive/", follow=True)
    assert "require this consultation" in response.content.decode()
    assert Service.objects.filter(pk=menu["consult"].pk).exists()


def test_other_clinic_rows_are_404(owner_client, other_menu):
    urls = [
        f"/settings/services/{other_menu['facial'].pk}/",
        f"/settings/services/{other_menu['facial'].pk}/archive/",
        f"/settings/categories/{other_menu['category'].pk}/",
        f"/settings/rooms/{other_menu['room'].pk}/",
        f"/settings/equipment/{other_menu['equipment'].pk}/archive/",
        f"/settings/tax-rates/{other_menu['tax_rate'].pk}/",
    ]
    for url in urls:
        assert owner_client.post(url, {"name": "Hijacked", "rate": "1"}).status_code == 404, url
    assert not Service.objects.filter(name="Hijacked").exists()
    assert not Room.objects.filter(name="Hijacked").exists()


def test_rooms_and_equipment_pages(owner_client, menu, other_menu):
    html = owner_client.get("/settings/rooms/").content.decode()
    assert "Laser room" in html and "IPL laser" in html and "Other HQ" not in html
    location = menu["location"].pk
    form = owner_client.get(f"/settings/rooms/new/?location={location}").content.decode()
    assert f'value="{location}" selected' in form
    response = owner_client.post(
        "/settings/rooms/new/",
        {"location_id": location, "name": "Injection 1", "kind": "injection", "capacity": "1", "active": "on"},
    )
    assert response.status_code == 302 and Room.objects.get(name="Injection 1").active
    bad = owner_client.post(
        "/settings/rooms/new/",
        {"location_id": other_menu["location"].pk, "name": "Sneaky", "kind": "injection", "capacity": "1"},
    )
    assert bad.status_code == 422 and not Room.objects.filter(name="Sneaky").exists()
    duplicate = owner_client.post(
        "/settings/equipment/new/",
        {"location_id": location, "name": "IPL laser", "kind": "ipl", "quantity": "1", "active": "on"},
    )
    assert duplicate.status_code == 422 and "Already in use at this location." in duplicate.content.decode()
    response = owner_client.post(
        f"/settings/equipment/{menu['equipment'].pk}/",
        {"location_id": location, "name": "IPL laser", "kind": "ipl", "quantity": "2", "active": "on"},
    )
    assert response.status_code == 302 and Equipment.objects.get(pk=menu["equipment"].pk).quantity == 2
    assert owner_client.post(f"/settings/rooms/{menu['room'].pk}/archive/").status_code == 302
    assert Room.objects.get(pk=menu["room"].pk).active is False
    assert "Archived" in owner_client.get("/settings/rooms/").content.decode()


def test_tax_rate_pages(owner_client, menu):
    assert "8.875 %" in owner_client.get("/settings/tax-rates/").content.decode()
    response = owner_client.post("/settings/tax-rates/new/", {"name": "County tax", "rate": "2.5", "active": "on"})
    assert response.status_code == 302 and TaxRate.objects.get(name="County tax").rate == Decimal("2.500")
    bad = owner_client.post("/settings/tax-rates/new/", {"name": "Too much", "rate": "120"})
    assert bad.status_code == 422 and not TaxRate.objects.filter(name="Too much").exists()
    owner_client.post(f"/settings/tax-rates/{menu['tax_rate'].pk}/archive/")
    assert TaxRate.objects.get(pk=menu["tax_rate"].pk).active is False


def test_category_pages(owner_client, menu):
    response = owner_client.post("/settings/categories/", {"name": "Body"})
    assert response.status_code == 302
    body = ServiceCategory.objects.get(name="Body")
    assert owner_client.post("/settings/categories/", {"name": "body"}).status_code == 422
    owner_client.post(f"/settings/categories/{body.pk}/", {"name": "Body contouring", "position": "9"})
    body.refresh_from_db()
    assert (body.name, body.position) == ("Body contouring", 9)
    page = owner_client.post(f"/settings/categories/{menu['category'].pk}/delete/", follow=True)
    assert "Move or archive them first" in page.content.decode()
    assert owner_client.post(f"/settings/categories/{body.pk}/delete/").status_code == 302
    assert not ServiceCategory.objects.filter(pk=body.pk).exists()


def test_services_list_query_count_is_bounded(owner_client, clinic, owner, menu, django_assert_max_num_queries):
    actor = owner_actor(clinic, owner)
    owner_client.get("/settings/services/")  # warm the session and template caches
    for n in range(40):
        services.service_create(
            actor=actor,
            data={
                "name": f"Peel {n}",
                "category_id": menu["category"].pk,
                "duration_minutes": 30,
                "price": "100",
                "provider_ids": [menu["provider"].pk],
                "addon_ids": [menu["addon"].pk],
            },
        )
    with django_assert_max_num_queries(20):
        response = owner_client.get("/settings/services/")
    assert response.content.decode().count('text-slate-900">Peel ') == 40
