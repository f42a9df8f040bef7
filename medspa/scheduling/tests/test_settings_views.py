"""Settings → Schedules and Booking rules: the weekly grid saves through hours_replace, bad rows
and overlaps come back inline with nothing written, providers read only their own schedule,
other clinics' ids look missing, and booking rules save with inline errors."""

from __future__ import annotations

import pytest

from medspa.core.actors import Actor
from medspa.core.models import Location
from medspa.core.permissions import Role
from medspa.scheduling import services
from medspa.scheduling.choices import BlockKind, ExceptionKind
from medspa.scheduling.models import ScheduleException, SchedulePolicy, WorkingHours
from medspa.scheduling.tests.conftest import next_weekday

pytestmark = pytest.mark.django_db

PAGE = "/settings/schedules/"


def hours_url(setup) -> str:
    return f"/settings/schedules/{setup.provider_user.pk}/hours/"


def grid_post(setup, rows: dict, action: str = "save") -> dict:
    """rows: {(weekday, index): (start, end, kind)}"""
    data = {"grid": "1", "location_id": str(setup.location.pk), "action": action}
    for (weekday, index), (start, end, kind) in rows.items():
        data |= {f"d{weekday}-{index}-start": start, f"d{weekday}-{index}-end": end, f"d{weekday}-{index}-kind": kind}
    return data


def saved(setup) -> list[tuple]:
    return sorted(
        WorkingHours.objects.filter(provider=setup.provider_user, location=setup.location).values_list(
            "weekday", "kind", "start_minute", "end_minute"
        )
    )


def test_page_shows_the_week_and_services(setup, login):
    response = login(setup.owner.user).get(PAGE, {"provider": setup.provider_user.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="09:00"' in html and 'value="17:00"' in html
    assert "Save hours" in html and "Copy Monday" in html
    assert html.index('value="save"') < html.index('value="copy_monday"')  # Enter in a field saves
    assert setup.menu["facial"].name in html
    assert f"/settings/services/{setup.menu['facial'].pk}/" in html


def test_save_replaces_hours_with_blocks_and_breaks(setup, login):
    rows = {
        (0, 0): ("09:00", "13:00", BlockKind.WORK),
        (0, 1): ("14:00", "18:00", BlockKind.WORK),
        (1, 0): ("10:00", "19:00", BlockKind.WORK),
        (1, 1): ("13:00", "13:30", BlockKind.BREAK),
        (2, 0): ("", "", BlockKind.WORK),  # blank rows are ignored
    }
    response = login(setup.owner.user).post(hours_url(setup), grid_post(setup, rows))
    assert response.status_code == 302
    assert saved(setup) == [
        (0, "work", 540, 780),
        (0, "work", 840, 1080),
        (1, "break", 780, 810),
        (1, "work", 600, 1140),
    ]


def test_overlap_and_bad_rows_come_back_inline_with_nothing_written(setup, login):
    before = saved(setup)
    client = login(setup.owner.user)
    overlap = {(0, 0): ("09:00", "13:00", BlockKind.WORK), (0, 1): ("12:00", "15:00", BlockKind.WORK)}
    response = client.post(hours_url(setup), grid_post(setup, overlap))
    assert response.status_code == 422
    assert "Monday: Overlapping work blocks." in response.content.decode()
    assert 'value="12:00"' in response.content.decode()  # what was typed is kept
    bad = {(3, 0): ("9am", "17:00", BlockKind.WORK), (4, 0): ("17:00", "09:00", BlockKind.WORK)}
    response = client.post(hours_url(setup), grid_post(setup, bad))
    html = response.content.decode()
    assert response.status_code == 422
    assert "Give a start and an end as HH:MM." in html and "The end must be after the start." in html
    assert 'aria-invalid="true"' in html
    stray_break = {(5, 0): ("09:00", "12:00", BlockKind.WORK), (5, 1): ("12:30", "13:00", BlockKind.BREAK)}
    response = client.post(hours_url(setup), grid_post(setup, stray_break))
    assert response.status_code == 422 and "A break must fall inside working hours." in response.content.decode()
    assert client.post(hours_url(setup), {"location_id": str(setup.location.pk)}).status_code == 422
    assert saved(setup) == before


def test_copy_monday_fills_weekdays_without_saving(setup, login):
    before = saved(setup)
    rows = {
        (0, 0): ("08:15", "12:00", BlockKind.WORK),
        (0, 1): ("12:45", "16:00", BlockKind.WORK),
        (1, 0): ("10:00", "11:00", BlockKind.WORK),
        (5, 0): ("09:00", "17:00", BlockKind.WORK),
    }
    response = login(setup.owner.user).post(hours_url(setup), grid_post(setup, rows, action="copy_monday"))
    html = response.content.decode()
    assert response.status_code == 200
    for weekday in range(5):
        assert f'name="d{weekday}-0-start" value="08:15"' in html
        assert f'name="d{weekday}-1-start" value="12:45"' in html
    assert 'value="10:00"' not in html  # Tuesday replaced
    assert 'name="d5-0-start" value="09:00"' in html  # Saturday untouched
    assert saved(setup) == before


def test_exceptions_add_with_inline_errors_and_remove(setup, login):
    client = login(setup.owner.user)
    url = f"/settings/schedules/{setup.provider_user.pk}/exceptions/"
    day = next_weekday(1)
    response = client.post(
        url, {"page_location": setup.location.pk, "day": day.isoformat(), "kind": ExceptionKind.EXTRA_HOURS}
    )
    assert response.status_code == 422
    assert "Extra hours need a start and an end." in response.content.decode()
    assert not ScheduleException.objects.exists()
    response = client.post(
        url,
        {"page_location": setup.location.pk, "day": day.isoformat(), "kind": ExceptionKind.TIME_OFF, "reason": "CME"},
    )
    assert response.status_code == 302
    row = ScheduleException.objects.get()
    assert (row.date, row.kind, row.start_minute, row.location_id) == (day, "time_off", None, None)
    page = client.get(PAGE, {"provider": setup.provider_user.pk}).content.decode()
    assert "Whole day" in page and "CME" in page
    assert client.post(f"/settings/schedules/exceptions/{row.pk}/remove/").status_code == 302
    assert not ScheduleException.objects.exists()


def test_provider_reads_own_schedule_only(setup, login, make_member):
    other = make_member(setup.clinic, Role.MEDICAL_DIRECTOR, email="md@test.example")
    client = login(setup.provider_user)
    response = client.get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Save hours" not in html and "Add exception" not in html
    assert "09:00–17:00" in html
    assert client.get(PAGE, {"provider": other.pk}).status_code == 404
    rows = {(0, 0): ("09:00", "10:00", BlockKind.WORK)}
    assert client.post(hours_url(setup), grid_post(setup, rows)).status_code == 403
    assert len(saved(setup)) == 7


def test_front_desk_reads_everyone_read_only(setup, login, make_member):
    client = login(make_member(setup.clinic, Role.FRONT_DESK, email="desk@test.example"))
    response = client.get(PAGE, {"provider": setup.provider_user.pk})
    assert response.status_code == 200 and "Save hours" not in response.content.decode()
    assert client.get("/settings/booking-rules/").status_code == 403


def test_other_clinic_ids_look_missing(setup, login, other_clinic, make_member):
    stranger = make_member(other_clinic, Role.PROVIDER, email="stranger@other.example")
    other_owner = make_member(other_clinic, Role.OWNER, email="boss@other.example")
    other_actor = Actor.staff(user=other_owner, clinic=other_clinic, role=Role.OWNER)
    exception = services.exception_add(
        other_actor, provider_id=stranger.pk, day=next_weekday(), kind=ExceptionKind.TIME_OFF
    )
    client = login(setup.owner.user)
    assert client.get(PAGE, {"provider": stranger.pk}).status_code == 404
    rows = {(0, 0): ("09:00", "10:00", BlockKind.WORK)}
    post = grid_post(setup, rows)
    assert client.post(f"/settings/schedules/{stranger.pk}/hours/", post).status_code == 404
    post["location_id"] = str(Location.objects.filter(clinic=other_clinic).first().pk)
    assert client.post(hours_url(setup), post).status_code == 404
    assert client.post(f"/settings/schedules/exceptions/{exception.pk}/remove/").status_code == 404
    assert ScheduleException.objects.filter(pk=exception.pk).exists()
    assert not WorkingHours.objects.filter(provider=stranger).exists()
    assert len(saved(setup)) == 7


def test_booking_rules_save_and_inline_errors(setup, login):
    client = login(setup.owner.user)
    page = client.get("/settings/booking-rules/")
    assert page.status_code == 200 and 'value="120"' in page.content.decode()
    bad = {"slot_minutes": "7", "online_min_notice_minutes": "-1", "online_window_days": "900"}
    response = client.post("/settings/booking-rules/", bad)
    assert response.status_code == 422
    assert response.content.decode().count('class="field-errors"') == 3
    assert not SchedulePolicy.objects.exists()
    good = {
        "slot_minutes": "10",
        "allow_staff_double_booking": "on",
        "online_min_notice_minutes": "240",
        "online_window_days": "30",
    }
    assert client.post("/settings/booking-rules/", good).status_code == 302
    policy = SchedulePolicy.objects.get(clinic=setup.clinic)
    assert (policy.slot_minutes, policy.allow_staff_double_booking) == (10, True)
    assert (policy.online_min_notice_minutes, policy.online_window_days) == (240, 30)


def test_grid_round_trips_saved_rows(setup):
    """The grid round-trips saved rows: what the page shows is what is stored."""
    from medspa.scheduling.settings_forms import HoursGrid

    rows = WorkingHours.objects.filter(provider=setup.provider_user)
    grid = HoursGrid.from_hours(rows)
    assert [(b.weekday, b.start_minute, b.end_minute) for b in grid.blocks()] == [(d, 540, 1020) for d in range(7)]
    assert grid.total_minutes == 7 * 8 * 60
