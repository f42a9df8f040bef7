"""The waitlist page: who is waiting (in joining order), the openings offered to them with a
one-click booking, a form to join, and removal. Seeing needs scheduling.view; acting needs
scheduling.book (checked again by the services)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.utils import timezone

from medspa.catalog.selectors import locations_for, provider_candidates, services_for
from medspa.core.access import requires
from medspa.core.errors import DomainError
from medspa.core.http import render_page
from medspa.core.views import form_with_errors
from medspa.patients.selectors import patient_get, patient_search
from medspa.scheduling import selectors, services
from medspa.scheduling.choices import TimeOfDay

PICKER_LIMIT = 8
TIME_LABELS = {t.value: t.label.split(" (")[0] for t in TimeOfDay}
# Service errors name the API's fields; the form's are shorter.
FORM_FIELDS = {"patient_id": "patient_id", "service_id": "service", "practitioner_id": "provider"}


class WaitlistJoinForm(forms.Form):
    patient_id = forms.UUIDField(label="Patient", error_messages={"required": "Search for the patient, then pick one."})
    service = forms.ChoiceField(label="Service")
    provider = forms.ChoiceField(label="Provider", required=False)
    location = forms.ChoiceField(label="Location", required=False)
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="Until", widget=forms.DateInput(attrs={"type": "date"}))
    times_of_day = forms.MultipleChoiceField(
        label="Times of day",
        required=False,
        choices=TimeOfDay.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for any time.",
    )
    notes = forms.CharField(label="Notes", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        rows = services_for(actor=actor, include_addons=False)
        self.fields["service"].choices = [("", "Choose a service")] + [(str(s.pk), s.name) for s in rows]
        people = provider_candidates(actor=actor)
        self.fields["provider"].choices = [("", "Anyone")] + [(str(u.pk), u.full_name) for u in people]
        places = list(locations_for(actor=actor).filter(is_active=True))
        self.fields["location"].choices = [(str(p.pk), p.name) for p in places]
        if len(places) <= 1:
            self.fields["location"].widget = forms.HiddenInput()
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("date_from", today)
            self.initial.setdefault("date_to", today + timedelta(days=30))
            if places:
                self.initial.setdefault("location", str(places[0].pk))

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "Must be on or after the first date.")
        return data


def _page(request: HttpRequest, form: WaitlistJoinForm | None = None, *, status: int = 200) -> HttpResponse:
    actor = request.actor
    entries = list(selectors.waitlist(actor=actor))
    for entry in entries:
        entry.times_label = ", ".join(TIME_LABELS.get(t, t) for t in entry.times_of_day) or "Any time"
    offers = list(selectors.waitlist_offers(actor=actor, since=timezone.now()))
    for offer in offers:
        zone = ZoneInfo(offer.location.timezone)
        offer.local_start, offer.local_end = offer.start_at.astimezone(zone), offer.end_at.astimezone(zone)
    can_book = actor.can(services.BOOK)
    if form is None and can_book:
        form = WaitlistJoinForm(actor=actor)
    choice = getattr(form, "patient_choice", None)
    context = {
        "entries": entries,
        "offers": offers,
        "can_book": can_book,
        "form": form,
        "patient_choice": choice,
        "patient_choice_list": [choice] if choice else [],
    }
    return render_page(request, "scheduling/waitlist/page.html", context, status=status)


@requires(selectors.VIEW)
def waitlist_view(request: HttpRequest) -> HttpResponse:
    """Waiting entries in joining order, open offers, and (for bookers) the join form."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return _page(request)


@requires(services.BOOK)
def waitlist_join_view(request: HttpRequest) -> HttpResponse:
    """Put a patient on the waitlist; errors come back inline on the form (422)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    actor = request.actor
    form = WaitlistJoinForm(request.POST, actor=actor)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.waitlist_join(
                actor,
                patient_id=data["patient_id"],
                service_id=data["service"],
                provider_id=data["provider"] or None,
                location_id=data["location"] or None,
                date_from=data["date_from"],
                date_to=data["date_to"],
                times_of_day=data["times_of_day"],
                notes=data["notes"],
            )
        except DomainError as exc:
            if exc.status in (401, 403):
                raise
            exc.fields = {FORM_FIELDS.get(k, k): v for k, v in (exc.fields or {}).items()}
            form_with_errors(form, exc)
        else:
            messages.success(request, "Added to the waitlist.")
            return redirect("scheduling_waitlist")
    _keep_patient(request, form)
    return _page(request, form, status=422)


def _keep_patient(request: HttpRequest, form: WaitlistJoinForm) -> None:
    """Re-show the picked patient after an error so the form need not be searched again."""
    form.patient_choice = None
    patient_id = form.cleaned_data.get("patient_id") if hasattr(form, "cleaned_data") else None
    if patient_id:
        try:
            form.patient_choice = patient_get(actor=request.actor, patient_id=patient_id)
        except DomainError:
            form.patient_choice = None


@requires(services.BOOK)
def waitlist_patient_search_view(request: HttpRequest) -> HttpResponse:
    """Typeahead for the join form: matching profiles as radio choices. POSTed, so names,
    phones and birth dates stay out of URLs and logs."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    q = (request.POST.get("q") or "").strip()[:100]
    candidates: list = []
    if q:
        candidates, _ = patient_search(actor=request.actor, q=q, limit=PICKER_LIMIT)
    context = {"candidates": candidates, "q": q, "field_name": "patient_id", "form_id": "waitlist-join-form"}
    return render_page(request, "patients/partials/family_candidates.html", context)


@requires(services.BOOK)
def waitlist_remove_view(request: HttpRequest, entry_id) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.waitlist_remove(request.actor, entry_id=entry_id)
    messages.success(request, "Removed from the waitlist.")
    return redirect("scheduling_waitlist")


@requires(services.BOOK)
def waitlist_offer_book_view(request: HttpRequest, offer_id) -> HttpResponse:
    """Book an offered opening in one click. If the time was taken meanwhile (409), say so
    and keep the list as it is."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        visit = services.book_offer(request.actor, offer_id=offer_id)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        if exc.status == 409:
            message = "That time is no longer free." if exc.code == "slot_unavailable" else exc.detail
            messages.error(request, f"{message} Nothing was booked; offer another time.")
        else:
            messages.error(request, exc.detail)
        return _page(request, status=exc.status)
    booked = visit.booked[0]
    messages.success(request, f"Booked {booked.service.name} for {booked.patient.display_name}.")
    return redirect("scheduling_waitlist")
