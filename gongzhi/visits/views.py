"""Visits pages: a household's visits and the form to log one, my visits, visits due,
the community's visit rules, and the workload table. Thin: parse, call, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.validation import errors_to_form
from gongzhi.registry.selectors import household_members
from gongzhi.visits import selectors, services
from gongzhi.visits import workload as workload_module
from gongzhi.visits.forms import RuleForm, VisitForm
from gongzhi.visits.models import Concern
from gongzhi.workorders.rules import category_label
from gongzhi.workorders.selectors import category_get, category_list

PAGE_SIZE = 50


def _concern_labels(visits: Any) -> None:
    labels = dict(Concern.choices)
    for visit in visits:
        visit.concern_labels = [labels.get(c, c) for c in visit.concerns]


@login_required
def household(request: SignedInRequest, household_id: int) -> HttpResponse:
    """A household's visits; with `?panel=1` (htmx, on the household page) the short
    summary: when it is due, the last visit, and the button to log one."""
    user = request.user
    found = selectors.household_for_visits(user=user, household_id=household_id)
    visits = selectors.household_visits(user=user, household=found)
    context: dict[str, Any] = {
        "household": found,
        "due": selectors.household_due(household=found),
        "today": clock.today(),
    }
    if request.GET.get("panel"):
        context["last"] = visits.first()
        context["count"] = visits.count()
        return render(request, "visits/_panel.html", context)
    page = Paginator(visits, PAGE_SIZE).get_page(request.GET.get("page"))
    _concern_labels(page.object_list)
    context["page_obj"] = page
    return render(request, "visits/household.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def log(request: SignedInRequest, household_id: int) -> HttpResponseBase:
    user = request.user
    found = selectors.household_for_visits(user=user, household_id=household_id)
    members = [
        (p.pk, p.name)
        for p in household_members(found)
        if p.residency in selectors.AT_HOME or p.residency == "away"
    ]
    categories = [(c.code, category_label(c)) for c in category_list() if not c.allows_anonymous]
    form = VisitForm(
        request.POST or None,
        members=members,
        categories=categories,
        initial={"visited_at": timezone.localtime(clock.now()).replace(second=0, microsecond=0)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            category = (
                category_get(data["follow_up_category"]) if data["follow_up_category"] else None
            )
            visit = services.visit_log(
                actor=user,
                household=found,
                visited_at=data["visited_at"],
                method=data["method"],
                notes=data["notes"],
                concerns=data["concerns"],
                concern_note=data["concern_note"],
                persons=data["persons"],
                follow_up_category=category,
                follow_up_description=data["follow_up_description"],
            )
        except NotFound:
            form.add_error("follow_up_category", _("This category is no longer offered."))
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            if visit.follow_up_id:
                messages.success(
                    request,
                    _("Visit logged; work order %(number)s filed.")
                    % {"number": visit.follow_up.number if visit.follow_up else ""},
                )
            else:
                messages.success(request, _("Visit logged."))
            return redirect("registry:household_detail", household_id=found.pk)
    return render(request, "visits/log.html", {"household": found, "form": form})


@requires(Perm.VISIT_LOG)
def mine(request: SignedInRequest) -> HttpResponse:
    page = Paginator(selectors.my_visits(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    _concern_labels(page.object_list)
    return render(request, "visits/mine.html", {"page_obj": page})


@requires(Perm.VISIT_LOG)
def due(request: SignedInRequest) -> HttpResponse:
    """Households due a visit in the user's area: never visited or overdue first."""
    rows = selectors.due_visits_for(user=request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_households(list(page.object_list))
    return render(
        request,
        "visits/due.html",
        {
            "page_obj": page,
            "tasks": selectors.visit_tasks_for(user=request.user),
            "summary": selectors.due_summary(rows),
            "soon_days": selectors.DUE_SOON_DAYS,
            "can_rules": access.can(request.user, Perm.VISIT_RULES),
            "can_workload": access.can(request.user, Perm.WORKLOAD_VIEW),
        },
    )


def _rules_page(request: SignedInRequest, community_id: Any, error: str = "") -> HttpResponse:
    user = request.user
    communities = selectors.rule_communities_for(user=user)
    if community_id:
        community = selectors.rule_community_get_for(user=user, area_id=community_id)
    elif communities:
        community = communities[0]
    else:
        raise NotFound()
    return render(
        request,
        "visits/rules.html",
        {
            "community": community,
            "communities": communities,
            "rows": selectors.rule_rows_for(community=community),
            "may_set": access.can(user, Perm.VISIT_RULES, community.path),
            "error": error,
        },
        status=400 if error else 200,
    )


@requires(Perm.VISIT_LOG, Perm.VISIT_RULES)
def rules(request: SignedInRequest) -> HttpResponse:
    """The visit rules of a community: read by those who visit, set by the secretary."""
    return _rules_page(request, request.GET.get("community"))


@requires(Perm.VISIT_RULES)
@require_POST
def rule_set(request: SignedInRequest) -> HttpResponseBase:
    """Set (or, with no days, clear) a community's rule for one tag."""
    user = request.user
    raw = request.POST.get("community")
    community = (
        selectors.rule_community_get_for(user=user, area_id=raw)
        if raw
        else next(iter(selectors.rule_communities_for(user=user)), None)
    )
    if community is None:
        raise NotFound()
    if not access.can(user, Perm.VISIT_RULES, community.path):
        raise Forbidden()
    form = RuleForm(request.POST)
    tag = selectors.tag_by_code(form.cleaned_data["tag"]) if form.is_valid() else None
    if tag is None:
        return _rules_page(request, community.pk, _("Choose a tag from the list."))
    days = (form.cleaned_data["every_days"] or "").strip()
    try:
        if days:
            services.visit_rule_set(actor=user, area=community, tag=tag, every_days=days)
        else:
            services.visit_rule_clear(actor=user, area=community, tag=tag)
    except ValidationError as exc:
        return _rules_page(request, community.pk, " ".join(exc.messages))
    messages.success(request, _("Visit rule saved."))
    return redirect(f"{reverse('visits:rules')}?community={community.pk}")


@requires(Perm.WORKLOAD_VIEW)
def workload(request: SignedInRequest) -> HttpResponse:
    table = workload_module.workload_for(user=request.user)
    return render(
        request,
        "visits/workload.html",
        {"table": table, "weeks": list(zip(table.weeks, table.week_labels, strict=True))},
    )
