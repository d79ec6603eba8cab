"""Template filters for the workbench. Pure formatting: no queries, no personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms, template
from django.utils import translation

register = template.Library()

_CHECKS = (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)
_SELECTS = (forms.Select, forms.SelectMultiple)

# Status codes of the register -> Tabler badge colours.
_BADGES = {
    "active": "green",
    "living": "green",
    "tenant": "azure",
    "away": "yellow",
    "vacant": "yellow",
    "moved_out": "secondary",
    "closed": "secondary",
    "deceased": "dark",
}


@register.filter
def widget(bound_field: forms.BoundField) -> str:
    """The field's widget with Tabler's classes, marked invalid when it has errors."""
    widget_obj = bound_field.field.widget
    if isinstance(widget_obj, _CHECKS):
        css = "form-check-input"
    elif isinstance(widget_obj, _SELECTS):
        css = "form-select"
    else:
        css = "form-control"
    existing = widget_obj.attrs.get("class", "")
    classes = " ".join(c for c in (css, existing, "is-invalid" if bound_field.errors else "") if c)
    attrs: dict[str, Any] = {"class": classes}
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{bound_field.auto_id}-errors"
    return bound_field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(bound_field: forms.BoundField) -> bool:
    return isinstance(bound_field.field.widget, forms.CheckboxInput)


@register.filter
def is_multi_check(bound_field: forms.BoundField) -> bool:
    return isinstance(bound_field.field.widget, forms.CheckboxSelectMultiple | forms.RadioSelect)


@register.filter
def badge(code: str) -> str:
    """Tabler colour for a status code: `bg-green-lt` …"""
    return f"bg-{_BADGES.get(str(code), 'secondary')}-lt"


@register.filter
def minutes(value: Any) -> int:
    """A timedelta in whole minutes (for the lock-out page)."""
    if isinstance(value, dt.timedelta):
        return max(1, int(value.total_seconds() // 60))
    return 0


@register.filter
def elided(page_obj: Any) -> list[Any]:
    """Page numbers to link, None for a gap (the count is already known)."""
    paginator = page_obj.paginator
    pages = paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1)
    return [None if n == paginator.ELLIPSIS else n for n in pages]


@register.filter
def tag_label(tag: Any) -> str:
    """A register tag's name in the page's language (tags keep both)."""
    return tag.name_en if translation.get_language() == "en" else tag.name


@register.filter
def is_required(bound_field: forms.BoundField) -> bool:
    """Required by the form, or marked required for the service to check (see forms)."""
    return bool(bound_field.field.required or bound_field.field.widget.attrs.get("required"))
