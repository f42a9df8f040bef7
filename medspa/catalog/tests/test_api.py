"""GET /api/booking/services: list shape, filters, paging, roles, tenancy, query budget."""

import pytest

from medspa.catalog import services
from medspa.catalog.tests.factories import owner_actor
from medspa.core.permissions import Role

pytestmark = pytest.mark.django_db

URL = "/api/booking/services"


@pytest.fixture
def as_role(clinic, make_member, api_token, api_client):
    def make(role: str):
        user = make_member(clinic, role, email=f"api-{role}@test.example")
        return api_client(api_token(user, clinic))

    return make


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["items"]]


def test_list_shape(as_role, menu, other_menu):
    response = as_role(Role.FRONT_DESK).get(URL)
    body = response.json()
    assert set(body) == {"items", "next"} and body["next"] is None
    # Menu order: categories by position, services by position then name; uncategorised last.
    assert names(response) == ["Facial", "IPL photofacial", "LED add-on", "Consultation"]
    ipl = next(i for i in body["items"] if i["name"] == "IPL photofacial")
    assert ipl["id"] == str(menu["ipl"].pk)
    assert ipl["category"] == {"id": str(menu["category"].pk), "name": "Skin"}
    assert ipl["duration_minutes"] == 45 and ipl["buffer_after_minutes"] == 10
    assert ipl["price"] == "400.00" and ipl["currency"] == "USD"
    assert ipl["deposit_kind"] == "percent" and ipl["deposit_amount"] == "80.00"
    assert ipl["practitioner_ids"] == [str(menu["provider"].pk)]
    assert ipl["equipment_ids"] == [str(menu["equipment"].pk)]
    assert ipl["addon_ids"] == [str(menu["addon"].pk)]
    assert ipl["consultation_service_id"] == str(menu["consult"].pk) and ipl["consultation_valid_months"] == 12
    assert ipl["concerns"] == ["pigmentation", "redness"] and ipl["room_kind"] == "laser"
    facial = next(i for i in body["items"] if i["name"] == "Facial")
    assert facial["taxable"] is True and facial["tax_rates"][0]["rate"] == "8.875"
    assert b"(other)" not in response.content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("online=true", ["Facial", "Consultation"]),
        ("concern=redness", ["IPL photofacial"]),
        ("treatment_type=invasive", []),
        ("treatment_type=non_invasive", ["Facial", "IPL photofacial", "LED add-on", "Consultation"]),
    ],
)
def test_filters(as_role, menu, query, expected):
    assert names(as_role(Role.READ_ONLY).get(f"{URL}?{query}")) == expected


def test_category_and_location_filters(as_role, menu, other_menu):
    client = as_role(Role.PROVIDER)
    assert names(client.get(f"{URL}?category={menu['category'].pk}")) == ["Facial", "IPL photofacial", "LED add-on"]
    assert names(client.get(f"{URL}?category={other_menu['category'].pk}")) == []
    assert "IPL photofacial" in names(client.get(f"{URL}?location_id={menu['location'].pk}"))
    response = client.get(f"{URL}?location_id={other_menu['location'].pk}")
    assert response.status_code == 422 and "location_id" in response.json()["fields"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("concern=vibes", "concern"),
        ("treatment_type=surgical", "treatment_type"),
        ("category=not-a-uuid", "category"),
        ("limit=0", "limit"),
        ("cursor=%%%", "cursor"),
        ("online=maybe", "online"),
    ],
)
def test_bad_filters_are_422(as_role, menu, query, field):
    response = as_role(Role.OWNER).get(f"{URL}?{query}")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"] or f"query.{field}" in body["fields"], body["fields"]


def test_paging_follows_next(as_role, menu):
    client = as_role(Role.BILLING)
    first = client.get(f"{URL}?limit=3").json()
    assert len(first["items"]) == 3 and first["next"]
    second = client.get(f"{URL}?limit=3&cursor={first['next']}").json()
    assert [i["name"] for i in second["items"]] == ["Consultation"] and second["next"] is None


def test_archived_and_inactive_services_are_not_listed(as_role, clinic, owner, menu):
    actor = owner_actor(clinic, owner)
    services.service_archive(actor=actor, service_id=menu["facial"].pk)
    services.service_update(actor=actor, service_id=menu["ipl"].pk, data={"active": False})
    assert names(as_role(Role.FRONT_DESK).get(URL)) == ["LED add-on", "Consultation"]


def test_query_count_does_not_grow_with_the_menu(as_role, clinic, owner, menu, django_assert_max_num_queries):
    client = as_role(Role.FRONT_DESK)
    actor = owner_actor(clinic, owner)
    for n in range(30):
        services.service_create(
            actor=actor,
            data={"name": f"Peel {n}", "duration_minutes": 30, "price": "100", "provider_ids": [menu["provider"].pk]},
        )
    with django_assert_max_num_queries(12):
        response = client.get(f"{URL}?limit=100")
    assert len(response.json()["items"]) == 34


def test_without_credentials_is_401(menu):
    from django.test import Client

    assert Client().get(URL).status_code == 401
