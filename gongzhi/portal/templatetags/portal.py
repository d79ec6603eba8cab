"""`{% portal_state as portal %}`: the frame's state for `portal/base.html` (lazy: each
part is computed only if the page shows it)."""

from django import template

from gongzhi.portal.state import PortalState

register = template.Library()


@register.simple_tag(takes_context=True)
def portal_state(context: template.Context) -> PortalState | None:
    request = context.get("request")
    if request is None:
        return None
    state = getattr(request, "_gongzhi_portal_state", None)
    if state is None:
        state = PortalState(request)
        request._gongzhi_portal_state = state
    return state
