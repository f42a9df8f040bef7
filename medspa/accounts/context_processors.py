"""What the staff layout needs on every page: the actor, the sidebar, the clinic switcher."""

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from medspa.core.navigation import badge_count, section_url_name, visible_sections


def shell(request: HttpRequest) -> dict:
    actor = getattr(request, "actor", None)
    if actor is None:
        return {"actor": None, "nav_items": [], "memberships": []}
    path = request.path
    nav_items = []
    for section in visible_sections(actor):
        try:
            url = reverse(section_url_name(section, actor))
        except NoReverseMatch:
            continue
        nav_items.append(
            {
                "key": section.key,
                "label": section.label,
                "url": url,
                "icon": section.icon,
                "badge": badge_count(section.key, actor),
                "active": path.startswith(url) or (section.key == "settings" and path.startswith("/settings/")),
            }
        )
    # Nested sections (/charts/ and /charts/review/): only the most specific one is current.
    current = [item for item in nav_items if item["active"]]
    if len(current) > 1:
        best = max(current, key=lambda item: len(item["url"]))
        for item in current:
            item["active"] = item is best
    memberships = [
        {
            "clinic_id": str(m.clinic_id),
            "name": m.clinic.name,
            "role": m.get_role_display(),
            "active": m.clinic_id == actor.clinic.pk,
        }
        for m in getattr(request, "memberships", [])
    ]
    return {
        "actor": actor,
        "nav_items": nav_items,
        "memberships": memberships,
        "idle_timeout_seconds": actor.clinic.session_idle_minutes * 60,
    }
