"""AUTHZ-1/2, TEN-2: every route is classified; role × route outcomes follow the permission table.

Generated from `core/permissions.py` and the route marks, so a new route is covered (or
fails the classification test) without anyone remembering to add it here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from medspa.accounts.models import Invitation, Membership
from medspa.core.models import AuditEvent, Location
from medspa.core.permissions import ROLE_PERMISSIONS, Role
from medspa.patients.models import Tag
from medspa.tests.field_limits import CLINICAL_CANARIES, assert_clean
from medspa.tests.routes import all_routes, page_routes
from medspa.tests.scheduling_world import Lazy

ROLES = [r.value for r in Role]

# The reviewed list of routes anyone may open without signing in.
PUBLIC_ROUTES = {"healthz", "invitation_accept", "calendar_feed"}
# The patient-facing booking portal: anonymous by design; each page checks its own capability
# (an open portal, the booking's secret in the session, a signed manage link, a finish token).
PUBLIC_ROUTES |= {
    "booking_portal_services",
    "booking_portal_practitioner",
    "booking_portal_time",
    "booking_portal_times",
    "booking_portal_hold",
    "booking_portal_checkout",
    "booking_portal_pay",
    "booking_portal_done",
    "booking_portal_ics",
    "booking_portal_brand",
    "booking_portal_photo",
    "booking_manage",
    "booking_manage_calendar",
    "booking_manage_cancel",
    "booking_manage_reschedule",
    "booking_finish",
    "booking_waitlist",
}
# The patient's form link (medspa.consents.patient_views): anonymous by design; the token in
# the URL is the capability (unknown 404, expired or cancelled 410), one form for one patient.
PUBLIC_ROUTES |= {
    "consent_form",
    "consent_form_save",
    "consent_form_upload",
    "consent_form_withdraw",
}
# Library-owned routes: allauth guards its own pages (sign-in, MFA), the admin needs is_staff
# and signs in through allauth (secure_admin_login).
LIBRARY_PREFIXES = ("library:allauth", "library:django.contrib.admin")
PAGE_ROUTES = page_routes()
# Routes whose answer also depends on the object's state: the matrix's chart is a draft, and
# only a signed chart is exported (409 for a role that may export; tested in charting/tests).
STATE_RULED_GET = {"chart_pdf": (409,)}
PERMISSION_ROUTES = [r for r in PAGE_ROUTES if r.access == "permission"]


def test_every_route_is_classified():
    unclassified = [r.pattern for r in all_routes() if r.access == "unclassified"]
    assert unclassified == []


def test_public_routes_are_exactly_the_allowlist():
    assert {r.name for r in all_routes() if r.access == "public"} == PUBLIC_ROUTES


def test_library_routes_are_only_allauth_and_admin():
    libraries = {r.access for r in all_routes() if r.access.startswith("library:")}
    assert libraries <= set(LIBRARY_PREFIXES)


@pytest.fixture
def targets(clinic, other_clinic, make_member, owner):
    """One object per URL parameter, in the acting clinic and in the other clinic."""
    from medspa.accounts import services
    from medspa.catalog.tests.factories import make_catalog
    from medspa.core.actors import Actor
    from medspa.patients import importing
    from medspa.patients import services as patient_services
    from medspa.scheduling import services as scheduling_services

    def build(c, inviter):
        actor = Actor.staff(user=inviter, clinic=c, role=Role.OWNER)
        member = make_member(c, Role.FRONT_DESK, email=f"target-{c.slug}@test.example")
        catalog = make_catalog(actor)
        invitation = services.invitation_create(actor=actor, email=f"invitee-{c.slug}@test.example", role=Role.PROVIDER)
        patient = patient_services.patient_create(
            actor=actor,
            data={
                "first_name": "Matrix",
                "last_name": f"Patient {c.slug}",
                "medical_alerts": ["Latex"],
                **CLINICAL_CANARIES,
            },
        )
        duplicate = patient_services.patient_create(
            actor=actor, data={"first_name": "Matrix", "last_name": f"Duplicate {c.slug}"}
        )
        tag = patient_services.tag_create(actor=actor, name=f"Matrix tag {c.slug}")
        practitioner = make_member(c, Role.PROVIDER, email=f"schedule-{c.slug}@test.example")
        time_off = scheduling_services.exception_add(
            actor, provider_id=practitioner.pk, day=datetime.now(tz=UTC).date() + timedelta(days=30), kind="time_off"
        )
        checked = importing.import_job_start(
            actor=actor, content=b"First Name,Last Name\nMatrix,Import\n", source_name="matrix.csv", mapping={}
        )
        appointment = _appointment(actor, catalog, patient, practitioner)
        values = {
            "import_id": checked.pk,
            "location_id": Location.objects.filter(clinic=c).first().pk,
            "duplicate_id": duplicate.pk,
            "service_id": catalog["facial"].pk,
            **{f"{name}_id": catalog[name].pk for name in ("category", "room", "equipment", "tax_rate")},
            "membership_id": Membership.objects.get(clinic=c, user=member).pk,
            "invitation_id": invitation.pk,
            "patient_id": patient.pk,
            "token": _file_token(actor),
            "tag_id": tag.pk,
            "provider_id": practitioner.pk,
            "exception_id": time_off.pk,
            "number": 1,  # a published version of form_id (the form builder's version page)
            **appointment,
            **_waitlist_and_feed(actor, catalog, patient, practitioner),
            **_photo_and_chart(actor, patient, appointment["appointment_id"]),
        }
        # The form library is built only for the routes that name one of its objects.
        forms = ("form_id", "submission_id", "form_link_id")
        return Lazy(values, None, more=dict.fromkeys(forms, lambda: _forms_and_links(actor, patient)))

    other_owner = make_member(other_clinic, Role.OWNER, email="boss@other.example")
    return {"own": build(clinic, owner), "other": build(other_clinic, other_owner)}


def _waitlist_and_feed(actor, catalog, patient, practitioner) -> dict:
    """A waitlist entry with an offered opening, and a provider's calendar feed."""
    from django.utils import timezone

    from medspa.scheduling import services as scheduling_services
    from medspa.scheduling.models import WaitlistOffer

    today = timezone.localdate()
    entry = scheduling_services.waitlist_join(
        actor,
        patient_id=patient.pk,
        service_id=catalog["facial"].pk,
        location_id=catalog["location"].pk,
        date_from=today,
        date_to=today + timedelta(days=30),
    )
    start = timezone.now() + timedelta(days=3)
    offer = WaitlistOffer.objects.create(
        clinic=actor.clinic,
        entry=entry,
        provider=practitioner,
        location=catalog["location"],
        start_at=start,
        end_at=start + timedelta(hours=1),
    )
    feed = scheduling_services.feed_create(actor, practitioner.pk).feed
    return {"entry_id": entry.pk, "offer_id": offer.pk, "feed_id": feed.pk}


def _photo_and_chart(actor, patient, appointment_id) -> dict:
    """The appointment's draft chart (its practitioner is the chart's provider) with a
    clinical photo on it, and the chart's template."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import override_settings

    from medspa.charting import services as charting_services
    from medspa.core.tests.images import jpeg
    from medspa.photos import services as photo_services

    chart = charting_services.chart_open_for_appointment(actor=actor, appointment_id=appointment_id).chart
    with override_settings(FILE_DECODE_IN_WORKER=False):
        photo = photo_services.photo_upload(
            actor=actor,
            patient_id=patient.pk,
            upload=SimpleUploadedFile("matrix.jpg", jpeg((64, 48))),
            chart_id=chart.pk,
            confirm_without_consent=True,
        )
    return {"chart_id": chart.pk, "photo_id": photo.pk, "template_id": chart.template_version.template_id}


def _forms_and_links(actor, patient) -> dict:
    """The form library with one completed consent (forms_world), and a link to a form made
    for staff to pass on (not used yet)."""
    from medspa.consents import services as consent_services
    from medspa.tests import forms_world

    built = forms_world.build(actor.clinic, actor.user, patient.pk)
    sent = consent_services.form_send(actor=actor, form_id=built["form_id"], patient_id=patient.pk, channel="copy")
    return {**built, "form_link_id": sent.link.pk}


def _appointment(actor, catalog, patient, practitioner) -> dict:
    """A booked appointment of the practitioner, who also acts as the provider role on routes
    that open one (a provider sees only their own calendar)."""
    from medspa.catalog import services as catalog_services
    from medspa.scheduling import services as scheduling_services

    catalog_services.service_update(
        actor=actor, service_id=catalog["facial"].pk, data={"provider_ids": [practitioner.pk]}
    )
    scheduling_services.hours_replace(
        actor,
        provider_id=practitioner.pk,
        location_id=catalog["location"].pk,
        blocks=[scheduling_services.Block(day, 9 * 60, 17 * 60) for day in range(7)],
    )
    day = datetime.now(tz=UTC).date() + timedelta(days=10)
    start = datetime(day.year, day.month, day.day, 15, tzinfo=UTC)  # 10:00 or 11:00 in New York
    visit = scheduling_services.book(
        actor,
        scheduling_services.BookingRequest(
            patient_id=patient.pk, service_ids=[catalog["facial"].pk], provider_id=practitioner.pk, start=start
        ),
    )
    return {"appointment_id": visit.booked[0].pk, "appointment_practitioner": practitioner}


def matrix_member(clinic, role, make_member, route, values):
    """The acting member for a role; the provider role is the appointment's practitioner on
    routes that open an appointment (its own calendar) or its chart (their own chart)."""
    if role == Role.PROVIDER and ({"appointment_id", "chart_id"} & set(route.params)):
        return values["appointment_practitioner"]
    return make_member(clinic, role, email=f"actor-{role}@test.example")


def _file_token(actor) -> str:
    """The token of a signed download URL for a small stored file of the actor's clinic."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import override_settings

    from medspa.core import files
    from medspa.core.tests.images import png

    with override_settings(FILE_DECODE_IN_WORKER=False):
        prepared = files.prepare_image(upload=SimpleUploadedFile("matrix.png", png()))
    with files.blob_written(prepared):
        stored = files.stored_file_create(actor=actor, prepared=prepared, kind="matrix")
    return files.signed_url(actor=actor, stored=stored, permission="patients.view").split("/")[2]


def route_url(route, values: dict) -> str:
    url = "/" + route.pattern
    for param in route.params:
        url = re.sub(rf"<(?:\w+:)?{param}>", str(values[param]), url)
    return url


def snapshot():
    return (
        sorted(Membership.objects.values_list("pk", "role", "is_active")),
        sorted(Invitation.objects.values_list("pk", "revoked_at", "accepted_at")),
        sorted(Location.objects.values_list("pk", "name", "updated_at")),
        sorted(Tag.objects.values_list("pk", "name", "color")),
    )


def allowed(role: str, route) -> bool:
    return any(p in ROLE_PERMISSIONS[role] for p in route.permissions)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", PERMISSION_ROUTES, ids=lambda r: r.name)
def test_permission_matrix(route, role, clinic, make_member, targets, login):
    user = matrix_member(clinic, role, make_member, route, targets["own"])
    client = login(user)
    url = route_url(route, targets["own"])
    before = snapshot()
    denials_before = AuditEvent.objects.filter(action="permission.denied").count()
    get = client.get(url)
    post = client.post(url, {})
    assert_clean(role, get, route.name)  # AUTHZ-4: no field the role may not see
    assert_clean(role, post, route.name)
    if allowed(role, route):
        expected = (200, 405, *STATE_RULED_GET.get(route.name, ()))
        assert get.status_code in expected, (route.name, role, get.status_code)
        assert post.status_code != 403
    else:
        assert get.status_code == 403 and post.status_code == 403, (route.name, role)
        assert snapshot() == before
        assert AuditEvent.objects.filter(action="permission.denied").count() == denials_before + 2


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", [r for r in PERMISSION_ROUTES if r.params], ids=lambda r: r.name)
def test_other_clinic_objects_look_missing(route, role, clinic, other_clinic, make_member, targets, login):
    user = make_member(clinic, role, email=f"actor-{role}@test.example")
    client = login(user)
    url = route_url(route, targets["other"])
    before = snapshot()
    other_events = AuditEvent.objects.filter(clinic=other_clinic).count()
    get = client.get(url)
    post = client.post(url, {"role": Role.OWNER, "name": "Hijacked", "timezone": "UTC"})
    assert_clean(role, get, route.name)
    assert_clean(role, post, route.name)
    if allowed(role, route):
        assert get.status_code in (404, 405) and post.status_code == 404, (get.status_code, post.status_code)
    else:
        assert get.status_code == 403 and post.status_code == 403
    assert snapshot() == before
    assert AuditEvent.objects.filter(clinic=other_clinic).count() == other_events


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in PAGE_ROUTES if r.access != "public"], ids=lambda r: r.name)
def test_anonymous_is_sent_to_sign_in(route, targets):
    response = Client().get(route_url(route, targets["own"]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in PAGE_ROUTES if r.access == "authenticated"], ids=lambda r: r.name)
@pytest.mark.parametrize("role", ROLES)
def test_authenticated_routes_open_to_every_role(route, role, clinic, make_member, targets, login):
    client = login(make_member(clinic, role, email=f"actor-{role}@test.example"))
    response = client.get(route_url(route, targets["own"]))
    assert response.status_code in (200, 302, 405)
    assert_clean(role, response, route.name)
