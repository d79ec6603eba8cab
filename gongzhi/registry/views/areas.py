"""The area tree."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.registry import selectors


@requires(Perm.AREA_VIEW)
def area_tree(request: SignedInRequest) -> HttpResponse:
    """The user's area: their top nodes, each opened one level."""
    roots = selectors.area_roots_for(user=request.user)
    nodes = [
        {"area": root, "children": selectors.area_children_for(user=request.user, area=root)}
        for root in roots
    ]
    return render(request, "registry/area_tree.html", {"nodes": nodes, "ancestors": []})


@login_required
def area_children(request: SignedInRequest, area_id: int) -> HttpResponse:
    """One node's children: a fragment for htmx, or the tree opened at this node."""
    area = selectors.area_get_for(user=request.user, area_id=area_id)
    children = selectors.area_children_for(user=request.user, area=area)
    if request.htmx:
        return render(request, "registry/_area_nodes.html", {"children": children})
    roots = set(access.paths(request.user, Perm.AREA_VIEW))
    ancestors = [
        a
        for a in selectors.area_ancestors(area)
        if access.can(request.user, Perm.AREA_VIEW, a.path)
    ]
    context = {
        "nodes": [{"area": area, "children": children}],
        "ancestors": ancestors if area.path not in roots else [],
        "focus": area,
    }
    return render(request, "registry/area_tree.html", context)
