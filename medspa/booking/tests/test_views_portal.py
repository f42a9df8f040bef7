"""The portal's pages through the Django test client: each step, the hold, the details, the
deposit and the confirmation; refusals are friendly pages; nobody's details reach a URL."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from medspa.booking import services
from medspa.booking.choices import BookingState
from medspa.booking.models import OnlineBooking, PolicyAcceptance
from medspa.booking.tests.conftest import at, next_weekday
from medspa.core.actors import Actor
from medspa.core.permissions import Role
from medspa.patients.models import Patient
from medspa.scheduling.models import Appointment

pytestmark = pytest.mark.django_db(transaction=True)

BOOK = "/book/glow-test/"
DETAILS = {
    "first_name": "Ava",
    "last_name": "Reyes",
    "phone": "(212) 555-0142",
    "email": "ava.reyes@example.com",
    "notes": "",
    "website": "",
    "accept_policy": "1",
    "policy_version": "1",
}


def ids(world, *names) -> str:
    return "&".join(f"services={world.menu[n].pk}" for n in names)


def hold(client, world, start, service="facial", **extra):
    return client.post(f"{BOOK}hold/", {"services": [str(world.menu[service].pk)], "start": start.isoformat(), **extra})


def booking_id(response) -> str:
    return re.search(r"/checkout/([0-9a-f-]{36})/", response["Location"]).group(1)


def details(world, **overrides) -> dict:
    values = {**DETAILS, "policy_version": str(world.portal().settings.policy_version), **overrides}
    return {k: v for k, v in values.items() if v is not None}


def text(response) -> str:
    return response.content.decode()


# Each step -------------------------------------------------------------------------------------


def test_services_page_lists_the_online_menu_with_its_facts(world, client):
    page = text(client.get(BOOK))
    assert "Facial" in page and "IPL photofacial" in page
    assert "$225.00" in page and "60 min" in page
    assert "Deposit $80.00" in page  # 20 % of 400
    assert "Needs a consultation" in page and "Consultation within the last 12 months" in page
    assert "LED add-on" not in page  # add-ons are not a visit of their own


def test_filters_narrow_the_menu(world, client):
    def shown(query):
        page = text(client.get(f"{BOOK}?{query}"))
        return {name for name in ("Facial", "IPL photofacial") if f"<h3>{name}</h3>" in page}

    assert shown("") == {"Facial", "IPL photofacial"}
    assert shown("q=ipl") == {"IPL photofacial"}
    assert shown("concern=texture") == {"Facial"}
    assert shown("max_price=300") == {"Facial"}
    assert shown("min_price=300") == {"IPL photofacial"}
    assert shown("max_minutes=45") == {"IPL photofacial"}
    assert shown(f"category={world.menu['category'].pk}") == {"Facial", "IPL photofacial"}
    assert shown(f"category={uuid.uuid4()}") == set()


def test_bad_filter_values_are_explained_not_500(world, client):
    response = client.get(f"{BOOK}?min_price=abc&category=nope&max_minutes=-5&concern=<b>&type=zzz")
    assert response.status_code == 200
    page = text(response)
    assert "Enter an amount, like 150." in page and "Unknown category." in page and "Choose a duration." in page
    assert "<b>" not in page


def test_several_services_go_into_one_visit(world, client):
    page = text(client.get(f"{BOOK}?{ids(world, 'facial')}"))
    assert "Continue with 1 service" in page
    add_ipl = re.search(r'href="([^"]+)" aria-label="Add IPL photofacial"', page).group(1).replace("&amp;", "&")
    assert str(world.menu["facial"].pk) in add_ipl and str(world.menu["ipl"].pk) in add_ipl
    page = text(client.get(add_ipl))
    assert "Continue with 2 services" in page
    assert "105 min" in page and "$625.00" in page


def test_practitioner_page_offers_anyone_and_the_provider(world, client):
    response = client.get(f"{BOOK}practitioner/?{ids(world, 'facial')}")
    page = text(response)
    assert response.status_code == 200
    assert "Anyone available" in page
    assert f"practitioner={world.setup.provider_user.pk}" in page


def test_time_page_shows_a_week_of_free_times_and_the_fragment_moves_on(world, client):
    day = next_weekday()
    response = client.get(f"{BOOK}time/?{ids(world, 'facial')}&date={day.isoformat()}")
    page = text(response)
    assert response.status_code == 200
    assert f'data-start="{at(day, 10).isoformat()}"' in page
    assert page.count('class="day"') == 7
    fragment = client.get(f"{BOOK}times/?{ids(world, 'facial')}&start={(day + timedelta(days=7)).isoformat()}")
    assert fragment.status_code == 200
    assert "<html" not in text(fragment)
    assert f'data-start="{at(day + timedelta(days=7), 10).isoformat()}"' in text(fragment)


def test_a_week_without_times_says_so_and_offers_the_waitlist(world, client):
    beyond = next_weekday() + timedelta(days=90)  # past the 60-day window
    page = text(client.get(f"{BOOK}time/?{ids(world, 'facial')}&date={beyond.isoformat()}"))
    assert "No times this week" in page
    assert f"/book/glow-test/waitlist/?services={world.menu['facial'].pk}" in page


# Hold -------------------------------------------------------------------------------------------


def test_a_hold_makes_one_booking_and_repeating_it_makes_no_second(world, client):
    start = at(next_weekday(), 10)
    first = hold(client, world, start)
    assert first.status_code == 302 and "/checkout/" in first["Location"]
    assert OnlineBooking.objects.count() == 1
    again = hold(client, world, start)
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert OnlineBooking.objects.count() == 1
    page = client.get(first["Location"])
    assert page.status_code == 200
    assert 'data-expires="' in text(page) and "I agree to the cancellation policy" in text(page)
    assert client.get(first["Location"]).status_code == 200
    assert OnlineBooking.objects.count() == 1


def test_picking_another_time_lets_the_first_go(world, client):
    day = next_weekday()
    first = booking_id(hold(client, world, at(day, 10)))
    second = booking_id(hold(client, world, at(day, 13)))
    assert first != second
    assert OnlineBooking.objects.get(pk=first).state == BookingState.RELEASED
    assert OnlineBooking.objects.get(pk=second).state == BookingState.HOLDING


def test_a_taken_time_shows_the_nearest_free_times(world, client):
    start = at(next_weekday(), 10)
    world.hold(start)  # someone else holds it
    response = hold(client, world, start)
    assert response.status_code == 409
    page = text(response)
    assert "Sorry — that time was just taken" in page
    alternatives = page.split('id="alternatives"')[1].split("</div>")[0]
    assert alternatives.count('class="slot"') >= 1
    assert f'data-start="{start.isoformat()}"' not in alternatives
    assert OnlineBooking.objects.count() == 1


def test_hold_refusals_show_the_message(world, client):
    bad = client.post(f"{BOOK}hold/", {"services": [str(world.menu["facial"].pk)], "start": "tomorrow"})
    assert bad.status_code == 422 and "Pick a time from the list." in text(bad)
    past = hold(client, world, at(next_weekday() - timedelta(days=30), 10))
    assert past.status_code in (409, 422)
    assert OnlineBooking.objects.count() == 0


# Details, deposit, done -----------------------------------------------------------------------------


def test_checkout_needs_this_sessions_token(world, client):
    response = hold(client, world, at(next_weekday(), 10))
    stranger = Client()
    page = stranger.get(response["Location"])
    assert page.status_code == 404
    assert "We could not find this booking" in text(page)
    assert stranger.post(response["Location"], details(world)).status_code == 404
    assert OnlineBooking.objects.get().state == BookingState.HOLDING
    assert client.get(f"{BOOK}checkout/{uuid.uuid4()}/").status_code == 404


def test_bad_details_are_shown_inline_and_nothing_is_written(world, client):
    checkout = hold(client, world, at(next_weekday(), 10))["Location"]
    patients = Patient.objects.count()
    response = client.post(checkout, details(world, first_name="", phone="", email="not-an-email"))
    assert response.status_code == 422
    page = text(response)
    assert 'id="first_name-error"' in page and "Enter a valid email address." in page
    assert 'value="not-an-email"' in page  # what they typed stays
    no_policy = client.post(checkout, details(world, accept_policy=None))
    assert no_policy.status_code == 422 and "tick the box" in text(no_policy)
    assert Patient.objects.count() == patients
    assert PolicyAcceptance.objects.count() == 0
    booking = OnlineBooking.objects.get()
    assert booking.state == BookingState.HOLDING and booking.first_name == ""


def test_honeypot_filled_books_nothing(world, client):
    checkout = hold(client, world, at(next_weekday(), 10))["Location"]
    response = client.post(checkout, details(world, website="https://spam.example"))
    assert response.status_code == 422
    assert Appointment.objects.filter(source="online").count() == 0


def test_no_deposit_booking_to_confirmation(world, client):
    checkout = hold(client, world, at(next_weekday(), 10))["Location"]
    done = client.post(checkout, details(world))
    assert done.status_code == 302 and "/done/" in done["Location"]
    page = text(client.get(done["Location"]))
    assert "You're booked!" in page and "Facial" in page
    assert "/book/manage/" in page and "Add to calendar" in page
    # Refresh and re-submit: still one appointment, the repeat lands on the confirmation.
    again = client.post(checkout, details(world))
    assert again.status_code == 302 and again["Location"] == done["Location"]
    assert client.get(checkout)["Location"] == done["Location"]
    assert Appointment.objects.filter(source="online").count() == 1
    ics = client.get(done["Location"] + "calendar.ics")
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    assert "attachment" in ics["Content-Disposition"] and "BEGIN:VEVENT" in text(ics)


def test_approval_required_says_awaiting_confirmation(world, client):
    services.settings_update(world.setup.owner, values={"require_approval_new_patients": True})
    checkout = hold(client, world, at(next_weekday(), 10))["Location"]
    page = text(client.get(client.post(checkout, details(world))["Location"]))
    assert "awaiting confirmation" in page


def test_deposit_is_paid_in_test_mode_after_a_decline(world, client, make_consultation):
    make_consultation()
    checkout = hold(client, world, at(next_weekday(), 10), service="ipl")["Location"]
    pay = client.post(checkout, details(world))
    assert pay.status_code == 302 and "/pay/" in pay["Location"]
    page = text(client.get(pay["Location"]))
    assert "TEST MODE — no real payment is taken" in page and "80.00" in page
    declined = client.post(pay["Location"], {"outcome": "decline"})
    assert declined.status_code == 402 and 'id="pay-error"' in text(declined)
    assert OnlineBooking.objects.get().state == BookingState.AWAITING_PAYMENT
    assert client.get(checkout)["Location"] == pay["Location"]
    paid = client.post(pay["Location"], {"outcome": "approve"})
    assert paid.status_code == 302 and "/done/" in paid["Location"]
    assert OnlineBooking.objects.get().state == BookingState.BOOKED
    assert client.post(pay["Location"], {"outcome": "approve"})["Location"] == paid["Location"]
    assert Appointment.objects.filter(source="online").count() == 1
    assert client.post(pay["Location"], {"outcome": "bogus"}).status_code in (302, 422)


def test_consultation_gate_offers_the_consultation(world, client):
    checkout = hold(client, world, at(next_weekday(), 10), service="ipl")["Location"]
    response = client.post(checkout, details(world))
    assert response.status_code == 422
    page = text(response)
    assert "needs a Consultation" in page
    assert f"practitioner/?services={world.menu['consult'].pk}" in page
    assert OnlineBooking.objects.get().state == BookingState.HOLDING


def test_an_expired_hold_asks_to_pick_again(world, client):
    checkout = hold(client, world, at(next_weekday(), 10))["Location"]
    with time_machine.travel(timedelta(minutes=30)):
        page = client.get(checkout)
        assert page.status_code == 410 and "Pick a time again" in text(page)
        posted = client.post(checkout, details(world))
        assert posted.status_code == 410
    assert Appointment.objects.filter(source="online").count() == 0


# Refusals, isolation, privacy -------------------------------------------------------------------------


def test_a_disabled_or_unknown_portal_is_a_friendly_404(world, client):
    assert client.get("/book/no-such-clinic/").status_code == 404
    services.settings_update(world.setup.owner, values={"enabled": False}, version=None)
    for url in (BOOK, f"{BOOK}practitioner/?{ids(world, 'facial')}", f"{BOOK}brand/logo/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Online booking is not available for this clinic" in text(response)


def test_another_clinics_slug_never_shows_this_clinics_booking(world, client, other_clinic, other_clinic_owner):
    other = Actor.staff(user=other_clinic_owner, clinic=other_clinic, role=Role.OWNER)
    services.settings_update(other, values={"enabled": True})
    done = client.post(hold(client, world, at(next_weekday(), 10))["Location"], details(world))["Location"]
    booking = OnlineBooking.objects.get()
    assert client.get(done).status_code == 200
    for step in ("checkout", "pay", "done"):
        response = client.get(f"/book/other-test/{step}/{booking.pk}/")
        assert response.status_code == 404
        assert "Ava" not in text(response) and "Facial" not in text(response)
    assert client.get(f"/book/other-test/done/{booking.pk}/calendar.ics").status_code == 404
    assert "Facial" not in text(client.get("/book/other-test/"))


def test_bad_ids_in_the_query_string_are_friendly(world, client):
    facial = world.menu["facial"].pk
    for url in (
        f"{BOOK}practitioner/?services=not-a-uuid",
        f"{BOOK}practitioner/",
        f"{BOOK}time/?services={facial}&practitioner=zzz",
        f"{BOOK}time/?services={facial}&date=31-31-2020",
        f"{BOOK}times/?services={uuid.uuid4()}",
        f"{BOOK}?location=nope",
        f"{BOOK}?location={uuid.uuid4()}",
        f"{BOOK}time/?services={facial}&practitioner={uuid.uuid4()}",
        f"{BOOK}brand/banner/",
        f"{BOOK}brand/logo/",
        f"{BOOK}practitioners/{world.setup.provider_user.pk}/photo/",
        f"{BOOK}practitioners/{uuid.uuid4()}/photo/",
    ):
        response = client.get(url)
        assert response.status_code in (404, 422), url
        assert 'class="portal' in text(response), url


def test_the_flow_never_puts_details_in_a_url(world, client, make_consultation):
    make_consultation()
    locations = []
    response = hold(client, world, at(next_weekday(), 10), service="ipl")
    locations.append(response["Location"])
    response = client.post(response["Location"], details(world))
    locations.append(response["Location"])
    response = client.post(response["Location"], {"outcome": "approve"})
    locations.append(response["Location"])
    page = text(client.get(response["Location"]))
    hrefs = re.findall(r'(?:href|action|hx-get)="([^"]*)"', page)
    assert len(locations) == 3 and hrefs
    for url in locations + hrefs:
        for secret in ("Ava", "Reyes", "5550142", "555-0142", "example.com", "ava."):
            assert secret not in url, (secret, url)


def test_portal_pages_use_their_own_layout_without_staff_navigation(world, client):
    day = next_weekday()
    checkout = hold(client, world, at(day, 10))["Location"]
    pages = [
        BOOK,
        f"{BOOK}practitioner/?{ids(world, 'facial')}",
        f"{BOOK}time/?{ids(world, 'facial')}&date={day.isoformat()}",
        checkout,
        "/book/no-such-clinic/",
    ]
    for url in pages:
        page = text(client.get(url))
        assert 'class="portal' in page, url
        assert 'aria-label="Main"' not in page and "nav-link" not in page, url
        assert "/calendar/" not in page and "/patients/" not in page and "dist/app.css" not in page, url
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in tag and "nonce=" in tag, (url, tag)
        assert not re.search(r"\son[a-z]+=", page), url
        assert not re.search(r"<script\b[^>]*>\s*[^<\s]", page), url


def test_meta_description_and_brand_colour_come_from_settings(world, client):
    services.settings_update(
        world.setup.owner,
        values={"meta_description": "Glow's skin studio in SoHo", "primary_color": "#123abc", "headline": "Glow up"},
    )
    page = text(client.get(BOOK))
    assert '<meta name="description" content="Glow&#x27;s skin studio in SoHo">' in page
    assert 'property="og:description"' in page and "--brand:#123abc" in page and "Glow up" in page


def test_brand_images_and_photos_are_served_when_set(world, client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from medspa.booking.models import BookingSettings, PractitionerProfile
    from medspa.core import files
    from medspa.core.tests.images import png

    settings.FILE_DECODE_IN_WORKER = False
    prepared = files.prepare_image(upload=SimpleUploadedFile("logo.png", png()))
    with files.blob_written(prepared):
        stored = files.stored_file_create(actor=world.setup.owner, prepared=prepared, kind="booking_logo")
    BookingSettings.objects.filter(clinic=world.clinic).update(logo=stored)
    response = client.get(f"{BOOK}brand/logo/")
    assert response.status_code == 200 and response["Content-Type"] == stored.content_type
    assert response["Cache-Control"] == "public, max-age=3600"
    assert response.content == files.read_bytes(stored)
    assert client.get(f"{BOOK}brand/background/").status_code == 404
    assert f"{BOOK}brand/logo/" in text(client.get(BOOK))
    provider = world.setup.provider_user
    photo = files.prepare_image(upload=SimpleUploadedFile("me.png", png()))
    with files.blob_written(photo):
        stored_photo = files.stored_file_create(actor=world.setup.owner, prepared=photo, kind="practitioner_photo")
    PractitionerProfile.objects.create(
        clinic=world.clinic, user=provider, display_name="Dr. Kim", photo=stored_photo, listed=True
    )
    url = f"{BOOK}practitioners/{provider.pk}/photo/"
    assert client.get(url).status_code == 200
    assert url in text(client.get(f"{BOOK}practitioner/?{ids(world, 'facial')}"))
    PractitionerProfile.objects.filter(user=provider).update(listed=False)
    assert client.get(url).status_code == 404


def test_nasty_values_in_every_parameter_never_500(world, client):
    from medspa.tests.test_fuzz_params import NASTY

    facial = f"services={world.menu['facial'].pk}"
    pages = {
        BOOK: ("q", "category", "concern", "type", "min_price", "max_price", "max_minutes", "services", "location"),
        f"{BOOK}practitioner/?{facial}": ("services", "location"),
        f"{BOOK}time/?{facial}": ("practitioner", "date", "location"),
        f"{BOOK}times/?{facial}": ("practitioner", "start"),
    }
    for url, names in pages.items():
        for name in names:
            for value in NASTY:
                response = client.get(url, {name: value})
                assert response.status_code < 500, (url, name, value)
    for value in NASTY:
        for name in ("start", "services", "practitioner", "location"):
            data = {"services": [str(world.menu["facial"].pk)], "start": at(next_weekday(), 10).isoformat()}
            response = client.post(f"{BOOK}hold/", {**data, name: value})
            assert response.status_code < 500, (name, value)


def test_first_page_weighs_under_150_kb(world, client):
    from django.contrib.staticfiles import finders

    page = client.get(BOOK)
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="/static/([^"]+\.(?:css|js))"', html)
    assert "booking/portal.css" in assets and "dist/htmx.min.js" in assets
    total = len(page.content) + sum(len(open(finders.find(a), "rb").read()) for a in assets)  # noqa: SIM115
    assert total < 150 * 1024, total


def test_a_clinic_with_several_locations_carries_the_location_through(world, client):
    from medspa.tests.factories import LocationFactory

    home = world.setup.location
    LocationFactory(clinic=world.clinic, name="Zz Uptown")  # sorts after the first
    page = text(client.get(BOOK))
    assert 'aria-label="Locations"' in page and "Zz Uptown" in page
    assert f"?location={home.pk}" in page
    page = text(client.get(f"{BOOK}?{ids(world, 'facial')}&location={home.pk}"))
    continue_url = re.search(r'href="([^"]+)" id="continue"', page).group(1).replace("&amp;", "&")
    assert f"location={home.pk}" in continue_url
    page = text(client.get(continue_url))
    time_url = re.search(r'href="([^"]+)" id="anyone"', page).group(1).replace("&amp;", "&")
    assert f"location={home.pk}" in time_url
    page = text(client.get(time_url + f"&date={next_weekday().isoformat()}"))
    assert f'name="location" value="{home.pk}"' in page
    response = hold(client, world, at(next_weekday(), 10), location=str(home.pk))
    assert response.status_code == 302
    assert OnlineBooking.objects.get().location_id == home.pk


def test_holding_a_time_never_lets_a_clinics_finish_link_go(world, client):
    day = next_weekday()
    link = services.link_create(
        world.setup.owner,
        first_name="Ava",
        phone="(212) 555-0142",
        service_ids=[world.menu["facial"].pk],
        start=at(day, 9),
        practitioner_id=world.setup.provider_user.pk,
    )
    session = client.session
    session["booking_tokens"] = {str(link.booking.pk): link.token}
    session.save()
    portal_hold = booking_id(hold(client, world, at(day, 13)))
    assert OnlineBooking.objects.get(pk=link.booking.pk).state == BookingState.HOLDING
    assert OnlineBooking.objects.get(pk=portal_hold).state == BookingState.HOLDING
