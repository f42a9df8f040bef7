"""The product's sections as the sidebar shows them, with the permissions that open each.

Core never imports the apps: a section's count badge (e.g. charts waiting for sign-off)
comes from a callback the owning app registers in its AppConfig.ready() (`register_badge`).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    url_name: str
    icon: str
    any_of: tuple[str, ...]
    built: bool = False
    blurb: str = ""


SECTIONS: tuple[Section, ...] = (
    Section(
        "today",
        "Today",
        "scheduling_today",
        "sun",
        ("scheduling.view", "scheduling.view_own"),
        built=True,
        blurb="Arrivals, rooms in use and what needs attention, at a glance.",
    ),
    Section(
        "calendar",
        "Calendar",
        "scheduling_calendar",
        "calendar",
        ("scheduling.view", "scheduling.view_own"),
        built=True,
        blurb="Book, move and check in appointments across providers and rooms.",
    ),
    Section(
        "waitlist",
        "Waitlist",
        "scheduling_waitlist",
        "clock",
        ("scheduling.view",),
        built=True,
        blurb="Patients waiting for an earlier time, and the openings offered to them.",
    ),
    Section(
        "patients",
        "Patients",
        "patients_list",
        "users",
        ("patients.view",),
        built=True,
        blurb="Profiles, families, alerts and every visit in one timeline.",
    ),
    Section(
        "charts",
        "Charts",
        "chart_my_drafts",
        "clipboard",
        ("charting.view",),
        built=True,
        blurb="Treatment notes, face charts, photos and medical-director sign-off.",
    ),
    Section(
        "signoff",
        "Sign-off",
        "chart_review_queue",
        "check-circle",
        ("charting.sign_md",),
        built=True,
        blurb="Charts waiting for the medical director's review and co-signature.",
    ),
    Section(
        "consents",
        "Consents",
        "consents_dashboard",
        "shield",
        ("consents.view",),
        built=True,
        blurb="Forms upcoming visits still need, consents about to expire, answers to review.",
    ),
    Section(
        "messages",
        "Messages",
        "section_messages",
        "chat",
        ("messaging.view",),
        blurb="Two-way texting and email with patients, reminders and campaigns.",
    ),
    Section(
        "checkout",
        "Checkout",
        "section_checkout",
        "card",
        ("billing.view",),
        blurb="Invoices from the visit, split payments, tips and daily close-out.",
    ),
    Section(
        "packages",
        "Packages",
        "section_packages",
        "gift",
        ("packages.view",),
        blurb="Packages, memberships and gift cards with their balances.",
    ),
    Section(
        "inventory",
        "Inventory",
        "section_inventory",
        "box",
        ("inventory.view",),
        blurb="Products, lots and expiry, stock counts and recalls.",
    ),
    Section(
        "reports",
        "Reports",
        "section_reports",
        "chart",
        ("reports.operational", "reports.financial"),
        blurb="Revenue, utilisation, provider performance and retention.",
    ),
    Section(
        "settings",
        "Settings",
        "settings_clinic",
        "cog",
        ("settings.manage", "users.manage", "audit.view", "catalog.view", "scheduling.manage", "scheduling.view_own"),
        built=True,
    ),
)

# Settings has several pages with different permissions: open the first one allowed.
SETTINGS_PAGES = (
    ("settings.manage", "settings_clinic"),
    ("users.manage", "settings_staff"),
    ("audit.view", "settings_audit"),
    ("catalog.view", "settings_services"),
    ("scheduling.manage", "settings_schedules"),
    ("scheduling.view", "settings_schedules"),
    ("scheduling.view_own", "settings_schedules"),
)


# Charts: the provider's own drafts to sign; roles that only read charts (the medical
# director, who works from Sign-off) have no Charts landing page yet.
CHARTS_PAGES = (("charting.sign", "chart_my_drafts"),)
SECTION_PAGES = {"settings": SETTINGS_PAGES, "charts": CHARTS_PAGES}


def section_url_name(section: Section, actor) -> str | None:
    """The page the section's link opens for this actor (None: no page for them)."""
    pages = SECTION_PAGES.get(section.key)
    if pages:
        return next((name for permission, name in pages if actor.can(permission)), None)
    return section.url_name


SECTIONS_BY_KEY = {s.key: s for s in SECTIONS}


def visible_sections(actor) -> list[Section]:
    """The sections this actor may open, in sidebar order."""
    if actor is None:
        return []
    return [s for s in SECTIONS if any(actor.can(p) for p in s.any_of) and section_url_name(s, actor) is not None]


# Count badges ---------------------------------------------------------------------------

_BADGES: dict[str, Callable[..., int]] = {}


def register_badge(key: str, count: Callable[..., int]) -> None:
    """Show `count(actor)` next to the section `key` in the sidebar (0 shows nothing)."""
    _BADGES[key] = count


def badge_count(key: str, actor) -> int:
    count = _BADGES.get(key)
    return int(count(actor) or 0) if count is not None else 0
