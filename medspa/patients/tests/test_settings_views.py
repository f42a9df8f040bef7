"""Patient settings pages: tags, and the CSV import page (size limits, refusals; the job flow is in
test_import_job.py)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from medspa.core.actors import Actor
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role
from medspa.patients import services
from medspa.patients.models import Patient, Tag

pytestmark = pytest.mark.django_db

CSV = """First Name,Last Name,Email,Mobile Phone,Date of Birth,Zip
Zoë,Müller,zoe@example.com,(415) 555-0134,1988-03-14,94110
José,García,,646-555-0111,07/04/1979,10001
Broken,Row,not-an-email,12,2999-01-01,
"""


def upload(content: str | bytes = CSV, name: str = "export.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


# Tags --------------------------------------------------------------------------------


def test_tags_page_lists_tags_with_patient_counts(clinic, owner, login):
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    vip = services.tag_create(actor=actor, name="VIP", color="#ff0000")
    services.tag_create(actor=actor, name="Unused", color="#00ff00")
    services.patient_create(actor=actor, data={"first_name": "A", "last_name": "B", "tags": [str(vip.pk)]})
    page = login(owner).get("/settings/tags/")
    assert page.status_code == 200
    content = page.content.decode()
    assert 'fill="#ff0000"' in content and "VIP" in content and "Unused" in content
    assert f'?tag={vip.pk}" class="link">1<' in content
    assert 'href="/settings/tags/"' in content and 'href="/settings/import/"' in content  # the tabs


def test_tags_page_creates_a_tag(clinic, make_member, login):
    front_desk = make_member(clinic, Role.FRONT_DESK, email="desk@test.example")
    response = login(front_desk).post("/settings/tags/", {"name": "Referral partner", "color": "#123abc"})
    assert response.status_code == 302 and response["Location"] == "/settings/tags/"
    tag = Tag.objects.get(clinic=clinic, name="Referral partner")
    assert tag.color == "#123abc"
    assert AuditEvent.objects.filter(action="patient.tag_created", object_id=str(tag.pk)).exists()


def test_tags_page_duplicate_name_is_an_inline_error(clinic, owner, login):
    services.tag_create(actor=Actor.staff(user=owner, clinic=clinic, role=Role.OWNER), name="VIP")
    response = login(owner).post("/settings/tags/", {"name": "VIP", "color": "#123abc"})
    assert response.status_code == 422
    assert b"Already in use." in response.content
    assert Tag.objects.filter(clinic=clinic).count() == 1


def test_tags_page_refuses_roles_without_edit(clinic, make_member, login):
    client = login(make_member(clinic, Role.READ_ONLY, email="ro@test.example"))
    assert client.get("/settings/tags/").status_code == 403
    assert client.post("/settings/tags/", {"name": "Sneaky", "color": "#123abc"}).status_code == 403
    assert not Tag.objects.exists()


# Import ------------------------------------------------------------------------------


def test_import_page_explains_recognised_headers(owner, login):
    page = login(owner).get("/settings/import/")
    assert page.status_code == 200
    assert b"mobile phone" in page.content and b"date_of_birth" in page.content
    assert b"No imports yet." in page.content


def test_import_body_above_the_allowance_is_413_and_other_paths_keep_1_mb(owner, login):
    client = login(owner)
    too_big = client.post("/settings/import/", data=b"x", content_type="text/csv", CONTENT_LENGTH=22 * 1024 * 1024)
    assert too_big.status_code == 413
    elsewhere = client.post("/settings/tags/", data=b"x", content_type="text/plain", CONTENT_LENGTH=2 * 1024 * 1024)
    assert elsewhere.status_code == 413


def test_import_refuses_roles_without_edit(clinic, make_member, login):
    client = login(make_member(clinic, Role.BILLING, email="billing@test.example"))
    assert client.get("/settings/import/").status_code == 403
    response = client.post("/settings/import/", {"file": upload()})
    assert response.status_code == 403
    assert not Patient.objects.exists()


def test_tags_page_query_count_does_not_grow_with_tags(clinic, owner, login, django_assert_max_num_queries):
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    for n in range(15):
        services.tag_create(actor=actor, name=f"Tag {n}")
    client = login(owner)
    with django_assert_max_num_queries(12):
        assert client.get("/settings/tags/").status_code == 200


# Tag edit and delete -------------------------------------------------------------------


@pytest.fixture
def vip(clinic, owner):
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    tag = services.tag_create(actor=actor, name="VIP", color="#ff0000")
    for first in ("Ana", "Ben"):
        services.patient_create(actor=actor, data={"first_name": first, "last_name": "Tagged", "tags": [str(tag.pk)]})
    return tag


def test_tags_page_links_to_edit_and_delete_each_tag(vip, owner, login):
    content = login(owner).get("/settings/tags/").content.decode()
    assert f'href="/settings/tags/{vip.pk}/"' in content
    assert f'href="/settings/tags/{vip.pk}/delete/"' in content


def test_tag_edit_page_renames_and_recolours(clinic, vip, make_member, login):
    client = login(make_member(clinic, Role.FRONT_DESK, email="desk@test.example"))
    page = client.get(f"/settings/tags/{vip.pk}/")
    assert page.status_code == 200
    assert b'value="VIP"' in page.content and b'value="#ff0000"' in page.content
    assert b"2 patients carry this tag" in page.content
    assert page.content.count(b'name="name"') == 1  # one form, not a second one inside a button
    response = client.post(f"/settings/tags/{vip.pk}/", {"name": "Gold", "color": "#00aa00"})
    assert response.status_code == 302 and response["Location"] == "/settings/tags/"
    vip.refresh_from_db()
    assert (vip.name, vip.color) == ("Gold", "#00aa00")
    assert AuditEvent.objects.filter(action="patient.tag_updated", object_id=str(vip.pk)).exists()
    assert "Tag “Gold” saved." in client.get("/settings/tags/").content.decode()


def test_tag_edit_taken_name_is_an_inline_error_and_writes_nothing(clinic, vip, owner, login):
    services.tag_create(actor=Actor.staff(user=owner, clinic=clinic, role=Role.OWNER), name="Regular")
    response = login(owner).post(f"/settings/tags/{vip.pk}/", {"name": "regular", "color": "#00aa00"})
    assert response.status_code == 422
    assert b"Already in use." in response.content and b'value="regular"' in response.content
    vip.refresh_from_db()
    assert (vip.name, vip.color) == ("VIP", "#ff0000")
    assert not AuditEvent.objects.filter(action="patient.tag_updated").exists()


def test_tag_edit_bad_colour_is_an_inline_error(vip, owner, login):
    response = login(owner).post(f"/settings/tags/{vip.pk}/", {"name": "Gold", "color": "red"})
    assert response.status_code == 422
    assert b"Use a hex colour like #a855f7." in response.content
    vip.refresh_from_db()
    assert vip.name == "VIP"


def test_tag_delete_confirm_says_how_many_patients_carry_it(vip, owner, login):
    page = login(owner).get(f"/settings/tags/{vip.pk}/delete/")
    assert page.status_code == 200
    assert b'data-tag-count="2"' in page.content and b"2 patients</strong> carry this tag" in page.content
    assert Tag.objects.filter(pk=vip.pk).exists()


def test_tag_delete_removes_it_from_patients(clinic, vip, owner, login):
    client = login(owner)
    response = client.post(f"/settings/tags/{vip.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/settings/tags/"
    assert not Tag.objects.filter(pk=vip.pk).exists()
    assert Patient.objects.filter(clinic=clinic, last_name="Tagged").count() == 2
    assert not Patient.objects.filter(tags__isnull=False).exists()
    assert AuditEvent.objects.get(action="patient.tag_deleted").changes["patients"] == 2
    assert "taken off 2 patients" in client.get("/settings/tags/").content.decode()


def test_tag_pages_of_another_clinic_look_missing(vip, other_clinic, make_member, login):
    client = login(make_member(other_clinic, Role.OWNER, email="boss@other.example"))
    for url in (f"/settings/tags/{vip.pk}/", f"/settings/tags/{vip.pk}/delete/"):
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "Hijacked", "color": "#000000"}).status_code == 404
    vip.refresh_from_db()
    assert vip.name == "VIP" and vip.patients.count() == 2
    assert not AuditEvent.objects.filter(action__in=["patient.tag_updated", "patient.tag_deleted"]).exists()


def test_tag_pages_refuse_roles_without_edit(clinic, vip, make_member, login):
    client = login(make_member(clinic, Role.READ_ONLY, email="ro@test.example"))
    for url in (f"/settings/tags/{vip.pk}/", f"/settings/tags/{vip.pk}/delete/"):
        assert client.get(url).status_code == 403
        assert client.post(url, {"name": "Sneaky", "color": "#000000"}).status_code == 403
    vip.refresh_from_db()
    assert vip.name == "VIP" and vip.patients.count() == 2


def test_tag_names_are_escaped_on_the_tag_pages(clinic, owner, login):
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    tag = services.tag_create(actor=actor, name="<script>x</script>", color="#ff0000")
    client = login(owner)
    for url in ("/settings/tags/", f"/settings/tags/{tag.pk}/", f"/settings/tags/{tag.pk}/delete/"):
        content = client.get(url).content
        assert b"<script>x</script>" not in content and b"&lt;script&gt;x&lt;/script&gt;" in content
