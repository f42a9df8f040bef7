"""Presentation of an annotation overlay as SVG drawing instructions (for the templates).

The overlay SVG has `viewBox="0 0 1 1"` and `preserveAspectRatio="none"`, so the stored
(normalized) coordinates are drawn as they are. One x unit is then `aspect` times as wide
on screen as one y unit; round things (point markers, letters) are drawn in a group
scaled back by 1/aspect so they are not stretched. frontend/photos.js draws the same.
"""

from __future__ import annotations

import itertools
import math

from medspa.photos.choices import COLORS, ShapeKind

# Markers and labels are drawn in a group scaled to thousandths of the photo's height
# (browsers render tiny font sizes poorly): a label is 40/1000 of the height tall.
UNIT = 0.001
LIGHT_COLORS = ("white", "yellow")


def _num(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"


def _pair(point) -> str:
    return f"{_num(point[0])},{_num(point[1])}"


def smooth_path(points: list) -> str:
    """A path through the stroke's points, smoothed with quadratic curves between midpoints."""
    if not points:
        return ""
    if len(points) < 3:
        return "M" + " L".join(_pair(p) for p in points)
    parts = [f"M{_pair(points[0])}"]
    for here, after in itertools.pairwise(points[1:]):
        middle = ((here[0] + after[0]) / 2, (here[1] + after[1]) / 2)
        parts.append(f"Q{_pair(here)} {_pair(middle)}")
    parts.append(f"L{_pair(points[-1])}")
    return " ".join(parts)


def arrow_head(start, end, width: float, aspect: float) -> str:
    """The arrowhead triangle at `end`, computed where x and y units are the same size."""
    x1, y1 = start[0] * aspect, start[1]
    x2, y2 = end[0] * aspect, end[1]
    angle = math.atan2(y2 - y1, x2 - x1)
    head = 0.025 + 0.004 * width
    corners = [
        (x2, y2),
        (x2 - head * math.cos(angle - math.pi / 7), y2 - head * math.sin(angle - math.pi / 7)),
        (x2 - head * math.cos(angle + math.pi / 7), y2 - head * math.sin(angle + math.pi / 7)),
    ]
    return " ".join(_pair((x / aspect, y)) for x, y in corners)


def overlay_items(shapes: list[dict] | None, *, aspect: float = 1.0) -> list[dict]:
    """One dict per shape with what its SVG element needs (colours resolved from COLORS)."""
    aspect = aspect if aspect and aspect > 0 else 1.0
    items = []
    for shape in shapes or []:
        kind = shape.get("kind")
        color_name = shape.get("color")
        color = COLORS.get(color_name, COLORS["red"])
        width = shape.get("width") or 3
        points = shape.get("points") or []
        if not points:
            continue
        item = {"kind": kind, "color": color, "width": width}
        if kind in (ShapeKind.LINE, ShapeKind.ARROW) and len(points) == 2:
            item |= {"x1": _num(points[0][0]), "y1": _num(points[0][1])}
            item |= {"x2": _num(points[1][0]), "y2": _num(points[1][1])}
            if kind == ShapeKind.ARROW:
                item["head"] = arrow_head(points[0], points[1], width, aspect)
        elif kind == ShapeKind.FREEHAND:
            item["d"] = smooth_path(points)
        elif kind in (ShapeKind.POINT, ShapeKind.TEXT):
            x, y = points[0]
            item["transform"] = f"translate({_num(x)} {_num(y)}) scale({UNIT / aspect:.6g} {UNIT})"
            item["label"] = str(shape.get("number", "")) if kind == ShapeKind.POINT else shape.get("text", "")
            item["ink"] = COLORS["black"] if color_name in LIGHT_COLORS else COLORS["white"]
        else:
            continue
        items.append(item)
    return items


def aspect_of(photo) -> float:
    """Width over height of the photo's stored image (1 when unknown)."""
    stored = photo.file
    return stored.width / stored.height if stored.width and stored.height else 1.0
