"""How a chart's content reads to people (pages, the MD's review, the PDF): answers as
text, zone names, and the face chart's markers in the diagram's own coordinates."""

from __future__ import annotations

from medspa.charting.choices import CUSTOM_ZONE, FACE_ZONES, FieldType

# The face chart diagram's size (templates/charting/partials/face_chart.html); FACE_ZONES
# and stored coordinates are fractions of it from its top-left.
FACE_W, FACE_H = 400, 500


def answer_text(field: dict, value) -> str:
    """A template answer as text ("" when unanswered)."""
    if value is None or value == "" or value == []:
        return ""
    if field["type"] == FieldType.CHECKBOX:
        return "Yes" if value is True else "No"
    if field["type"] == FieldType.MULTISELECT:
        return ", ".join(str(v) for v in value)
    if field["type"] == FieldType.NUMBER and field.get("unit"):
        return f"{value} {field['unit']}"
    return str(value)


def zone_label(zone: str, label: str = "") -> str:
    """A preset zone's name, or a custom point's own label."""
    if zone == CUSTOM_ZONE:
        return label or "Custom point"
    return FACE_ZONES.get(zone, (zone,))[0]


def zone_markers() -> list[tuple[str, str, float, float]]:
    """The preset zones as (key, label, x, y) in diagram coordinates."""
    return [(key, label, x * FACE_W, y * FACE_H) for key, (label, x, y) in FACE_ZONES.items()]


def face_markers(content: dict) -> list[dict]:
    """Markers of the read-only face chart: one per preset zone (its total units), one per
    custom point, in diagram coordinates."""
    totals: dict[str, dict] = {}
    for row in content.get("injections", []):
        key = row["id"] if row["zone"] == CUSTOM_ZONE else row["zone"]
        point = totals.setdefault(
            key,
            {
                "label": zone_label(row["zone"], row.get("label", "")),
                "x": row["x"] * FACE_W,
                "y": row["y"] * FACE_H,
                "units": 0.0,
            },
        )
        point["units"] += float(row["units"])
    for point in totals.values():
        point["units"] = f"{point['units']:g}"
    return list(totals.values())
