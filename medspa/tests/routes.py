"""Enumerate every route of the project with how it is guarded (for generated tests)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver

from medspa.core.access import AUTHENTICATED, PUBLIC


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    params: tuple[str, ...]
    access: str  # "public" | "authenticated" | "permission" | "library:<name>" | "api" | "unclassified"
    permissions: tuple[str, ...] = field(default=())
    view: object = None


def _walk(patterns, prefix="", namespaces=()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            names = (*namespaces, entry.namespace or entry.app_name or "")
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), names)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry, namespaces


def _classify(callback, namespaces=()) -> tuple[str, tuple[str, ...]]:
    if "api" in namespaces:
        return "api", ()
    if "admin" in namespaces:
        return "library:django.contrib.admin", ()
    module = getattr(callback, "__module__", "") or ""
    target = getattr(callback, "view_class", None) or callback
    target_module = getattr(target, "__module__", module) or module
    if getattr(callback, "required_permissions", None):
        return "permission", callback.required_permissions
    access = getattr(callback, "access", None)
    if access in (PUBLIC, AUTHENTICATED):
        return access, ()
    if "ninja" in target_module or "ninja" in module:
        return "api", ()
    for library in ("allauth", "django.contrib.admin", "django.contrib.staticfiles"):
        if target_module.startswith(library) or module.startswith(library):
            return f"library:{library}", ()
    return "unclassified", ()


def all_routes() -> list[Route]:
    routes = []
    for pattern, entry, namespaces in _walk(get_resolver().url_patterns):
        access, permissions = _classify(entry.callback, namespaces)
        params = tuple(entry.pattern.converters) if hasattr(entry.pattern, "converters") else ()
        routes.append(Route(entry.name or pattern, pattern, params, access, permissions, entry.callback))
    return routes


def page_routes() -> list[Route]:
    return [r for r in all_routes() if r.access in ("permission", "authenticated", "public")]
