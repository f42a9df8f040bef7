"""View angles, before/after tags and annotation shapes of clinical photos."""

from django.db import models


class ViewAngle(models.TextChoices):
    FRONT = "front", "Front"
    LEFT_OBLIQUE = "left_oblique", "Left oblique"
    RIGHT_OBLIQUE = "right_oblique", "Right oblique"
    LEFT_PROFILE = "left_profile", "Left profile"
    RIGHT_PROFILE = "right_profile", "Right profile"
    OTHER = "other", "Other"


class PhotoPhase(models.TextChoices):
    BEFORE = "before", "Before"
    AFTER = "after", "After"
    DURING = "during", "During"
    OTHER = "other", "Other"


class ShapeKind(models.TextChoices):
    LINE = "line", "Line"
    FREEHAND = "freehand", "Freehand"
    ARROW = "arrow", "Arrow"
    POINT = "point", "Numbered point"
    TEXT = "text", "Text label"


# The palette an annotation may use (names are what the JSON stores).
COLORS: dict[str, str] = {
    "red": "#e11d48",
    "blue": "#2563eb",
    "green": "#16a34a",
    "yellow": "#eab308",
    "white": "#ffffff",
    "black": "#111827",
}
MAX_SHAPES = 500
MAX_POINTS_PER_STROKE = 2000
MAX_TEXT = 120
THUMBNAIL_PX = 320
