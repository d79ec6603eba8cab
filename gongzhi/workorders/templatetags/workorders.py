"""Filters for work-order pages. Pure formatting: no queries."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation
from django.utils.translation import gettext as _

from gongzhi.core.masking import mask_name

register = template.Library()

_COLOURS = {
    "new": "orange",
    "escalated": "red",
    "dispatched": "azure",
    "accepted": "blue",
    "in_progress": "indigo",
    "resolved": "green",
    "closed": "secondary",
    "cancelled": "secondary",
}


@register.filter
def status_badge(status: str) -> str:
    return f"bg-{_COLOURS.get(str(status), 'secondary')}-lt"


@register.filter
def category_name(category: Any) -> str:
    return category.name_en if translation.get_language() == "en" else category.name


@register.filter
def stars(rating: Any) -> str:
    try:
        n = int(rating)
    except (TypeError, ValueError):
        return ""
    return "★" * n + "☆" * (5 - n)


@register.filter
def masked_name(name: str) -> str:
    return mask_name(name or "")


@register.filter
def requester_label(order: Any) -> str:
    """Who asked, as this viewer may know it (the view sets `shows_requester`)."""
    if not getattr(order, "shows_requester", True):
        return _("Anonymous")
    if order.person_id:
        return order.person.name
    return order.contact_name or (str(order.requester) if order.requester_id else "—")


@register.filter
def resident_status(status: str) -> str:
    """A status in residents' words (待派单 → "已收到，正在安排"): `states.RESIDENT_STATUS`."""
    from gongzhi.workorders.states import RESIDENT_STATUS

    words = RESIDENT_STATUS.get(str(status))
    return str(words) if words is not None else str(status)
