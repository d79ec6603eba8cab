"""Template helpers of the points square's activities: the nav entry's check and the
words for a proof's flags."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

FLAG_LABELS = {
    "duplicate_photo": _("Repeats an earlier photo"),
    "taken_outside_window": _("Taken outside the activity's time"),
    "no_capture_time": _("No capture time"),
}


@register.filter
def flag_label(code: str) -> Any:
    return FLAG_LABELS.get(code, code)
