"""Settings → Online booking: the portal's rules, policy, deposit and branding, its public
links, and how each practitioner appears online. Needs `settings.manage` (checked here and
again in every service). Views parse and render; the services validate, write and audit.
Bad input comes back inline with 422 and nothing written."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse

from medspa.booking import services
from medspa.booking.forms import POLICY_FIELDS, OnlineBookingForm, PractitionerProfileForm
from medspa.booking.selectors import booking_settings, practitioner_profiles, short_name
from medspa.booking.services.branding import BRANDING_IMAGES
from medspa.booking.services.staff import SETTINGS_FIELDS
from medspa.catalog import selectors as catalog
from medspa.core import files
from medspa.core.access import requires
from medspa.core.errors import DomainError, InvalidInput, NotFound
from medspa.core.http import render_page
from medspa.core.views import form_with_errors
from medspa.scheduling import settings_selectors

SETTINGS = "settings.manage"
TEMPLATE = "booking/settings/online_booking.html"
IMAGE_LABELS = {"logo": "Logo", "background": "Background image"}


def _only(request: HttpRequest, *methods: str) -> HttpResponse | None:
    """405 for other methods, checked after the rows loaded (another clinic's id is a 404)."""
    return None if request.method in methods else HttpResponseNotAllowed(methods)


def _refused(exc: DomainError) -> None:
    """Authentication, permission and not-found refusals become their error pages."""
    if exc.status in (401, 403, 404):
        raise exc


def _page_url(anchor: str = "") -> str:
    return reverse("settings_online_booking") + (f"#{anchor}" if anchor else "")


def _image_url(actor, stored) -> str | None:
    if stored is None or stored.deleted_at is not None:
        return None
    return files.signed_url(actor=actor, stored=stored, permission=SETTINGS)


def _links(request: HttpRequest, clinic) -> list[dict]:
    """The portal's public address, and one per location when the clinic has several."""
    base = request.build_absolute_uri(f"/book/{clinic.slug}/")
    locations = list(catalog.locations_for(actor=request.actor).filter(is_active=True).order_by("name"))
    links = [{"label": "All locations" if len(locations) > 1 else "Booking page", "url": base}]
    if len(locations) > 1:
        links += [{"label": loc.name, "url": f"{base}?location={loc.pk}"} for loc in locations]
    return links


def _settings_form(actor, current, data=None) -> OnlineBookingForm:
    initial = {name: getattr(current, name) for name in SETTINGS_FIELDS}
    policy = settings_selectors.policy_values(actor)
    initial |= {name: policy[name] for name in POLICY_FIELDS}
    initial["version"] = current.version if current.pk else None
    return OnlineBookingForm(data, initial=initial)


def _profile_form(user, profile, data=None) -> PractitionerProfileForm:
    initial = {"display_name": short_name(user), "credentials": "", "bio": "", "listed": True}
    if profile is not None:
        initial = {
            "display_name": profile.display_name,
            "credentials": profile.credentials,
            "bio": profile.bio,
            "listed": profile.listed,
        }
    return PractitionerProfileForm(data, initial=initial, prefix=f"p{user.pk.hex}")


def _focus_first_error(form) -> None:
    """The first field with an error takes the focus, so the page opens where the problem is."""
    if form is not None and form.is_bound:
        first = next((name for name in form.fields if name in form.errors), None)
        if first is not None:
            form.fields[first].widget.attrs["autofocus"] = True


def _render(
    request: HttpRequest,
    *,
    form: OnlineBookingForm | None = None,
    bound_profile: tuple | None = None,
    image_errors: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    """The whole page; `bound_profile` = (user id, bound form) keeps one practitioner's typed
    values and errors, `image_errors` = {logo|background|<user id>: message}."""
    actor = request.actor
    current = booking_settings(actor.clinic)
    image_errors = image_errors or {}
    _focus_first_error(form)
    _focus_first_error(bound_profile[1] if bound_profile else None)
    people = list(catalog.provider_candidates(actor=actor))
    profiles = practitioner_profiles(actor, people)
    practitioners = []
    for person in people:
        profile = profiles.get(person.pk)
        photo_url = _image_url(actor, profile.photo if profile else None)
        bound = bound_profile[1] if bound_profile and bound_profile[0] == person.pk else None
        practitioners.append(
            {
                "user": person,
                "name": person.full_name or person.email,
                "profile": profile,
                "form": bound or _profile_form(person, profile),
                "photo_url": photo_url,
                "photo_label": "Replace the photo" if photo_url else "Upload a photo",
                "photo_error": image_errors.get(str(person.pk)),
            }
        )
    images = []
    for which in BRANDING_IMAGES:
        url = _image_url(actor, getattr(current, which) if getattr(current, f"{which}_id") else None)
        label = IMAGE_LABELS[which]
        images.append(
            {
                "which": which,
                "label": label,
                "url": url,
                "input_label": f"{'Replace the' if url else 'Upload a'} {label.lower()}",
                "error": image_errors.get(which),
            }
        )
    context = {
        "tab": "online_booking",
        "form": form or _settings_form(actor, current),
        "current": current,
        "links": _links(request, actor.clinic),
        "images": images,
        "practitioners": practitioners,
        "policy_preview": current.cancellation_policy.replace("{hours}", str(current.cancellation_notice_hours)),
    }
    return render_page(request, TEMPLATE, context, status=status)


@requires(SETTINGS)
def settings_online_booking_view(request: HttpRequest) -> HttpResponse:
    """Show and save the portal's settings with the online notice and window."""
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    if request.method != "POST":
        return _render(request)
    actor = request.actor
    current = booking_settings(actor.clinic)
    form = _settings_form(actor, current, request.POST)
    if not form.is_valid():
        return _render(request, form=form, status=422)
    try:
        services.settings_save(
            actor,
            values=form.settings_values(),
            online_rules=form.policy_values(),
            version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        _refused(exc)
        form_with_errors(form, exc)
        return _render(request, form=form, status=exc.status if exc.status == 409 else 422)
    messages.success(request, "Online booking settings saved.")
    return redirect(_page_url())


@requires(SETTINGS)
def settings_online_booking_branding_view(request: HttpRequest) -> HttpResponse:
    """POST `which` (logo or background) with an `image` to upload, or `action=remove`."""
    if refused := _only(request, "POST"):
        return refused
    which = request.POST.get("which", "")
    removing = request.POST.get("action") == "remove"
    try:
        if removing:
            services.branding_image_remove(request.actor, which=which)
        else:
            services.branding_image_set(request.actor, which=which, upload=request.FILES.get("image"))
    except DomainError as exc:
        _refused(exc)
        message = exc.fields.get(which) or exc.detail
        key = which if which in BRANDING_IMAGES else "logo"
        return _render(request, image_errors={key: _first(message)}, status=422)
    label = IMAGE_LABELS[which]
    messages.success(request, f"{label} removed." if removing else f"{label} saved.")
    return redirect(_page_url("branding"))


def _first(message) -> str:
    return str(message[0]) if isinstance(message, list | tuple) and message else str(message)


def _practitioner(request: HttpRequest, provider_id):
    user = catalog.provider_candidates(actor=request.actor).filter(pk=provider_id).first()
    if user is None:
        raise NotFound("Practitioner not found.")
    return user


@requires(SETTINGS)
def settings_practitioner_profile_view(request: HttpRequest, provider_id) -> HttpResponse:
    """Save how one practitioner appears on the portal."""
    user = _practitioner(request, provider_id)
    if refused := _only(request, "POST"):
        return refused
    profile = practitioner_profiles(request.actor, [user]).get(user.pk)
    form = _profile_form(user, profile, request.POST)
    if form.is_valid():
        try:
            services.profile_update(request.actor, user_id=user.pk, **form.cleaned_data)
        except DomainError as exc:
            _refused(exc)
            form_with_errors(form, exc)
        else:
            messages.success(request, f"Profile saved for {form.cleaned_data['display_name']}.")
            return redirect(_page_url(f"practitioner-{user.pk}"))
    return _render(request, bound_profile=(user.pk, form), status=422)


@requires(SETTINGS)
def settings_practitioner_photo_view(request: HttpRequest, provider_id) -> HttpResponse:
    """POST a `photo` to set or replace a practitioner's photo, or `action=remove`."""
    user = _practitioner(request, provider_id)
    if refused := _only(request, "POST"):
        return refused
    removing = request.POST.get("action") == "remove"
    try:
        if removing:
            services.practitioner_photo_remove(request.actor, user_id=user.pk)
        else:
            services.practitioner_photo_set(request.actor, user_id=user.pk, upload=request.FILES.get("photo"))
    except InvalidInput as exc:
        message = _first(exc.fields.get("photo") or exc.detail)
        return _render(request, image_errors={str(user.pk): message}, status=422)
    messages.success(request, "Photo removed." if removing else "Photo saved.")
    return redirect(_page_url(f"practitioner-{user.pk}"))
