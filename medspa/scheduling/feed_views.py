"""Calendar feeds: the public iCalendar URL a provider subscribes to, and the settings page
where a provider (or an owner/admin, for anyone) creates, copies and revokes it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_safe

from medspa.catalog.selectors import provider_candidates
from medspa.core.access import public, requires
from medspa.core.actors import Actor
from medspa.core.errors import DomainError
from medspa.core.http import render_page
from medspa.scheduling import ics, selectors, services
from medspa.scheduling.choices import AppointmentStatus

PAGE_PERMISSIONS = (selectors.VIEW_OWN, services.MANAGE)
NO_STORE = "private, no-store"


def initials(patient) -> str:
    """ "Jane Smith" → "J.S." (no other part of the name leaves the clinic by default)."""
    letters = [part.strip()[:1].upper() for part in (patient.first_name, patient.last_name) if part and part.strip()]
    return "".join(f"{letter}." for letter in letters) or "—"


def feed_text(feed) -> str:
    """The feed as iCalendar text; the fetch is audited."""
    events = []
    for appointment in selectors.feed_appointments(feed):
        who = appointment.patient.display_name if feed.show_patient_names else initials(appointment.patient)
        events.append(
            ics.Event(
                uid=f"{appointment.pk}@medspa",
                start=appointment.start_at,
                end=appointment.end_at,
                summary=f"{who} — {appointment.service.name}",
                stamp=appointment.updated_at,
                sequence=appointment.version,
                location=appointment.location.name,
                status="TENTATIVE" if appointment.status == AppointmentStatus.REQUESTED else "CONFIRMED",
            )
        )
    services.feed_record_read(feed, events=len(events))
    name = f"{feed.clinic.name} — {feed.provider.full_name}"
    return ics.calendar(name, events)


@public
@require_safe
def calendar_feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """The provider's appointments as iCalendar. An unknown or revoked token is a plain 404."""
    feed = selectors.feed_for_token(token)
    if feed is None:
        raise Http404("No such calendar.")
    response = HttpResponse(feed_text(feed), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = NO_STORE
    response["Content-Disposition"] = 'inline; filename="appointments.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _page(request: HttpRequest, *, new_url: str = "", new_feed_id=None, status: int = 200, error: str = ""):
    actor = request.actor
    can_manage = actor.can(services.MANAGE)
    feeds = {str(f.provider_id): f for f in selectors.calendar_feeds(actor)}
    if can_manage:
        people = list(provider_candidates(actor=actor))
    else:
        people = [actor.user] if str(actor.user.pk) in feeds or _is_practitioner(actor) else []
    rows = [{"provider": person, "feed": feeds.get(str(person.pk))} for person in people]
    response = render_page(
        request,
        "scheduling/feeds/page.html",
        {
            "rows": rows,
            "can_manage": can_manage,
            "new_url": new_url,
            "new_feed_id": str(new_feed_id or ""),
            "error": error,
            "tab": "calendar_feed",
        },
        status=status,
    )
    response["Cache-Control"] = NO_STORE
    return response


def _is_practitioner(actor) -> bool:
    return provider_candidates(actor=Actor.system(clinic=actor.clinic)).filter(pk=actor.user.pk).exists()


@requires(*PAGE_PERMISSIONS)
def calendar_feed_settings_view(request: HttpRequest) -> HttpResponse:
    """GET: the feeds the actor may manage. POST: a new URL for a provider (their own by
    default), shown once on the page that answers."""
    if request.method in ("GET", "HEAD"):
        return _page(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    actor = request.actor
    provider_id = request.POST.get("provider_id") or (actor.user.pk if actor.user else "")
    try:
        created = services.feed_create(actor, provider_id)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        return _page(request, status=exc.status, error=exc.detail)
    url = request.build_absolute_uri(reverse("calendar_feed", args=[created.token]))
    return _page(request, new_url=url, new_feed_id=created.feed.pk)


@requires(*PAGE_PERMISSIONS)
def calendar_feed_revoke_view(request: HttpRequest, feed_id) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.feed_revoke(request.actor, feed_id)
    messages.success(request, "Feed URL revoked. Calendars subscribed to it stop updating.")
    return redirect("settings_calendar_feed")


@requires(services.MANAGE)
def calendar_feed_names_view(request: HttpRequest, feed_id) -> HttpResponse:
    """Owner/admin: show patients' names in this feed instead of initials (or stop)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    show = request.POST.get("show_patient_names") == "on"
    services.feed_set_patient_names(request.actor, feed_id, show)
    messages.success(request, "The feed now shows patients' names." if show else "The feed now shows initials only.")
    return redirect("settings_calendar_feed")
