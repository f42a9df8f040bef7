"""Profile tabs that other modules provide (appointments now; charts, photos, consents,
billing later). Patients never imports those modules: each registers a renderer for its tab
from its AppConfig.ready(), and the profile shows the registered content instead of the
"not available yet" state.

A renderer takes (request, patient) and returns the tab's HTML (without the tab bar), or
raises a DomainError (a 403 for roles that may not see it). `visible(actor)` decides whether
the tab shows in the tab bar at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Renderer = Callable[..., str]


@dataclass(frozen=True)
class Tab:
    key: str
    render: Renderer
    visible: Callable[..., bool]


_TABS: dict[str, Tab] = {}


def register_tab(key: str, render: Renderer, *, visible: Callable[..., bool] = lambda actor: True) -> None:
    """Provide the content of the profile tab `key` (one of patients.views.TABS)."""
    _TABS[key] = Tab(key, render, visible)


def registered_tab(key: str) -> Tab | None:
    return _TABS.get(key)


def hidden_tabs(actor) -> set[str]:
    """Registered tabs this actor may not open (left out of the tab bar)."""
    return {key for key, tab in _TABS.items() if not tab.visible(actor)}
