"""Settings → Online booking: the owner saves the portal's settings and the online notice and
window in one POST; a new policy text is a new policy version; other roles are refused and
nothing changes; bad values come back inline with 422 and nothing written; branding images
and practitioners' photos go through the encrypted file pipeline; profiles save."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from medspa.booking.models import BookingSettings, PractitionerProfile
from medspa.core import files
from medspa.core.models import AuditEvent, StoredFile
from medspa.core.permissions import Role
from medspa.core.tests.images import png
from medspa.scheduling.models import SchedulePolicy

pytestmark = pytest.mark.django_db

PAGE = "/settings/online-booking/"
BRANDING = "/settings/online-booking/branding/"


@pytest.fixture(autouse=True)
def _decode_here(settings):
    settings.FILE_DECODE_IN_WORKER = False


def form_data(**overrides) -> dict:
    data = {
        "enabled": "on",
        "online_min_notice_minutes": "180",
        "online_window_days": "45",
        "hold_minutes": "12",
        "link_hold_minutes": "240",
        "max_future_bookings": "4",
        "cancellation_notice_hours": "48",
        "cancellation_policy": "Cancel {hours} hours ahead or pay a fee.",
        "deposit_kind": "fixed",
        "deposit_value": "30.00",
        "headline": "Book your glow",
        "meta_description": "Botox, fillers and facials in SoHo.",
        "primary_color": "#be185d",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def saved_state(clinic) -> tuple:
    return (
        list(BookingSettings.objects.filter(clinic=clinic).values()),
        list(SchedulePolicy.objects.filter(clinic=clinic).values()),
        AuditEvent.objects.filter(action__startswith="booking.").count(),
    )


def image(name="logo.png", data=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png(size=(64, 32)) if data is None else data, content_type="image/png")


def test_owner_sees_the_page_with_the_public_link(setup, login):
    client = login(setup.owner.user)
    page = client.get(PAGE)
    body = page.content.decode()
    assert page.status_code == 200
    assert f"/book/{setup.clinic.slug}/" in body
    assert "Turned off" in body and 'name="online_min_notice_minutes"' in body
    assert 'href="/settings/online-booking/"' in body  # the Settings tab


def test_several_locations_get_one_link_each(setup, login):
    from medspa.tests.factories import LocationFactory

    second = LocationFactory(clinic=setup.clinic, name="Second floor")
    body = login(setup.owner.user).get(PAGE).content.decode()
    assert f"/book/{setup.clinic.slug}/?location={second.pk}" in body
    assert f"/book/{setup.clinic.slug}/?location={setup.location.pk}" in body


def test_owner_saves_settings_and_the_online_rules(setup, login):
    client = login(setup.owner.user)
    response = client.post(PAGE, form_data())
    assert response.status_code == 302
    row = BookingSettings.objects.get(clinic=setup.clinic)
    assert row.enabled and (row.hold_minutes, row.link_hold_minutes, row.max_future_bookings) == (12, 240, 4)
    assert (row.deposit_kind, str(row.deposit_value), row.primary_color) == ("fixed", "30.00", "#be185d")
    assert row.headline == "Book your glow" and row.cancellation_notice_hours == 48
    policy = SchedulePolicy.objects.get(clinic=setup.clinic)
    assert (policy.online_min_notice_minutes, policy.online_window_days) == (180, 45)
    page = client.get(PAGE).content.decode()
    assert "Taking bookings" in page and "Cancel 48 hours ahead or pay a fee." in page


def test_a_new_policy_text_is_a_new_version_and_other_edits_are_not(setup, login):
    client = login(setup.owner.user)
    client.post(PAGE, form_data())
    row = BookingSettings.objects.get(clinic=setup.clinic)
    first_policy, first_version = row.policy_version, row.version
    client.post(PAGE, form_data(headline="Another headline", version=str(first_version)))
    row.refresh_from_db()
    assert row.headline == "Another headline" and row.policy_version == first_policy
    response = client.post(PAGE, form_data(cancellation_policy="New: {hours}h notice.", version=str(row.version)))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.policy_version == first_policy + 1 and row.cancellation_policy == "New: {hours}h notice."


def test_a_stale_version_is_refused_with_409(setup, login):
    client = login(setup.owner.user)
    client.post(PAGE, form_data())
    stale = BookingSettings.objects.get(clinic=setup.clinic).version
    client.post(PAGE, form_data(headline="Saved in another tab", version=str(stale)))
    before = saved_state(setup.clinic)
    response = client.post(PAGE, form_data(headline="Mine", version=str(stale)))
    assert response.status_code == 409
    assert "Someone else changed these settings" in response.content.decode()
    assert saved_state(setup.clinic) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hold_minutes", "0"),
        ("primary_color", "red"),
        ("deposit_value", "-1"),
        ("online_min_notice_minutes", "-5"),
        ("online_window_days", "0"),
        ("cancellation_notice_hours", "abc"),
        ("deposit_kind", "bitcoin"),
    ],
)
def test_bad_values_show_inline_and_write_nothing(setup, login, field, value):
    client = login(setup.owner.user)
    before = saved_state(setup.clinic)
    response = client.post(PAGE, form_data(**{field: value}))
    body = response.content.decode()
    assert response.status_code == 422
    assert f'id="id_{field}_error"' in body
    assert body.count("autofocus") == 1  # the page opens at the problem
    assert saved_state(setup.clinic) == before


def test_a_percent_deposit_over_100_is_refused(setup, login):
    response = login(setup.owner.user).post(PAGE, form_data(deposit_kind="percent", deposit_value="150"))
    assert response.status_code == 422 and "at most 100" in response.content.decode()
    assert not BookingSettings.objects.filter(clinic=setup.clinic).exists()


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.PROVIDER, Role.BILLING, Role.READ_ONLY])
def test_other_roles_are_refused_and_nothing_changes(setup, login, make_member, role):
    client = login(make_member(setup.clinic, role, email=f"{role}@refused.example"))
    before = saved_state(setup.clinic)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, form_data()).status_code == 403
    assert client.post(BRANDING, {"which": "logo", "image": image()}).status_code == 403
    profile_url = f"/settings/online-booking/practitioners/{setup.provider_user.pk}/"
    assert client.post(profile_url, {}).status_code == 403
    assert saved_state(setup.clinic) == before
    assert not StoredFile.all_objects.exists() and not PractitionerProfile.objects.exists()


def test_logo_upload_stores_an_encrypted_file_and_can_be_replaced_and_removed(setup, login):
    client = login(setup.owner.user)
    response = client.post(BRANDING, {"which": "logo", "image": image()})
    assert response.status_code == 302
    row = BookingSettings.objects.get(clinic=setup.clinic)
    stored = StoredFile.objects.get(pk=row.logo_id)
    assert (stored.kind, stored.content_type, stored.width, stored.height) == ("booking_logo", "image/png", 64, 32)
    assert files.read_bytes(stored)[:8] == b"\x89PNG\r\n\x1a\n"
    from django.core.files.storage import storages

    with storages["default"].open(stored.storage_key, "rb") as handle:
        raw = handle.read()
    assert raw.startswith(files.BLOB_MAGIC) and b"PNG" not in raw[:64]  # sealed, not the image
    assert AuditEvent.objects.filter(action="booking.logo_set").count() == 1
    page = client.get(PAGE).content.decode()
    assert 'alt="Current logo"' in page
    client.post(BRANDING, {"which": "logo", "image": image("new.png")})
    row.refresh_from_db()
    assert row.logo_id != stored.pk and StoredFile.all_objects.get(pk=stored.pk).deleted_at is not None
    client.post(BRANDING, {"which": "logo", "action": "remove"})
    row.refresh_from_db()
    assert row.logo_id is None and AuditEvent.objects.filter(action="booking.logo_removed").count() == 1


def test_background_upload_leaves_the_logo_alone(setup, login):
    client = login(setup.owner.user)
    assert client.post(BRANDING, {"which": "background", "image": image("bg.png")}).status_code == 302
    row = BookingSettings.objects.get(clinic=setup.clinic)
    assert row.background_id and row.logo_id is None


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"which": "logo", "image": SimpleUploadedFile("notes.txt", b"just some text", content_type="image/png")}, ""),
        ({"which": "logo"}, "Choose an image to upload."),
        ({"which": "favicon", "image": None}, "Choose the logo or the background."),
    ],
)
def test_bad_uploads_are_refused_with_a_message(setup, login, post, message):
    client = login(setup.owner.user)
    if post.get("image", "") is None:
        post = {**post, "image": image()}
    response = client.post(BRANDING, post)
    body = response.content.decode()
    assert response.status_code == 422
    assert 'class="field-errors" role="alert"' in body and message in body
    assert not StoredFile.all_objects.exists()
    assert not BookingSettings.objects.filter(clinic=setup.clinic, logo__isnull=False).exists()


def test_profile_saves_and_bad_input_is_inline(setup, login):
    client = login(setup.owner.user)
    user = setup.provider_user
    url = f"/settings/online-booking/practitioners/{user.pk}/"
    prefix = f"p{user.pk.hex}"
    bad = client.post(url, {f"{prefix}-display_name": "", f"{prefix}-credentials": "RN"})
    assert bad.status_code == 422 and f'id="id_{prefix}-display_name_error"' in bad.content.decode()
    assert not PractitionerProfile.objects.exists()
    good = {
        f"{prefix}-display_name": "Priya P.",
        f"{prefix}-credentials": "RN, CANS",
        f"{prefix}-bio": "Ten years of injectables.",
    }
    assert client.post(url, good).status_code == 302
    profile = PractitionerProfile.objects.get(user=user)
    assert (profile.display_name, profile.credentials, profile.listed) == ("Priya P.", "RN, CANS", False)


def test_practitioner_photo_set_and_remove(setup, login):
    client = login(setup.owner.user)
    url = f"/settings/online-booking/practitioners/{setup.provider_user.pk}/photo/"
    assert client.post(url, {"photo": image("me.png")}).status_code == 302
    profile = PractitionerProfile.objects.get(user=setup.provider_user)
    assert StoredFile.objects.get(pk=profile.photo_id).kind == "practitioner_photo"
    assert profile.display_name  # created with the practitioner's short name
    refused = client.post(url, {"photo": SimpleUploadedFile("x.png", b"nope", content_type="image/png")})
    assert refused.status_code == 422
    profile.refresh_from_db()
    assert profile.photo_id  # the refused upload changed nothing
    assert client.post(url, {"action": "remove"}).status_code == 302
    profile.refresh_from_db()
    assert profile.photo_id is None


def test_another_clinics_practitioner_looks_missing(setup, login, other_clinic, make_member):
    stranger = make_member(other_clinic, Role.PROVIDER, email="stranger@other.example")
    client = login(setup.owner.user)
    assert client.post(f"/settings/online-booking/practitioners/{stranger.pk}/", {}).status_code == 404
    assert client.post(f"/settings/online-booking/practitioners/{stranger.pk}/photo/", {}).status_code == 404
    assert not PractitionerProfile.objects.exists()
