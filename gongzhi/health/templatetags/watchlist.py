"""Formatting for the watch-list pages. Pure: no queries, no personal data."""

from __future__ import annotations

from django import template

register = template.Library()

_COLOURS = {
    # entry status
    "to_review": "orange",
    "to_verify": "yellow",
    "verified": "azure",
    "closed": "secondary",
    # match tier
    "id_number": "green",
    "name_phone": "teal",
    "name_birth": "cyan",
    "ambiguous": "orange",
    "none": "red",
    # list status
    "uploaded": "secondary",
    "matching": "blue",
    "matched": "green",
    "failed": "red",
}


@register.filter
def watch_badge(code: str) -> str:
    """Tabler badge colour for a status or match code."""
    return f"bg-{_COLOURS.get(str(code), 'secondary')}-lt"


@register.filter
def get_item(mapping: dict, key: str) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None
