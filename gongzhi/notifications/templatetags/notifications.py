"""`{% unread_count as n %}` for the bell: one COUNT per request, cached on the user."""

from django import template

from gongzhi.notifications.selectors import unread_count_for

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_count(context: template.Context) -> int:
    request = context.get("request")
    return unread_count_for(getattr(request, "user", None))
