"""Proposal and poll pages. /m/proposals/ (residents, inside the portal's frame: phone first,
elder mode, acting for a parent) and the workbench's /proposals/ (staff with
proposal.manage). Thin: parse, call one service or selector, render."""

from __future__ import annotations

import secrets
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.accounts import acting
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.services import user_set_elder_mode
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core import clock
from gongzhi.core.errors import Conflict, Forbidden, NotFound
from gongzhi.core.middleware import client_ip
from gongzhi.core.validation import errors_to_form
from gongzhi.proposals import policy, selectors, services
from gongzhi.proposals.forms import FromOrderForm, PollForm, ProposalForm, ReviewForm, StepForm
from gongzhi.proposals.models import Poll, Proposal
from gongzhi.proposals.states import ACTIONS, ALLOWED_TRANSITIONS, POLLABLE, SUPPORTABLE, Action
from gongzhi.registry.models import Area, AreaKind, Person

resident_login_required = partial(login_required, login_url="portal:login")
DEVICE_COOKIE = "gz_device"
DEVICE_COOKIE_AGE = 2 * 365 * 24 * 3600
LIST_LIMIT = 50


def _keep_elder_choice(request: SignedInRequest) -> None:
    """`?elder=1|0` (a link a grid worker sends) becomes the account's preference, as on
    the portal's own pages."""
    wanted = request.GET.get("elder")
    if wanted in ("1", "0"):
        user_set_elder_mode(user=request.user, on=wanted == "1")


def _acting_person(request: SignedInRequest) -> Person | None:
    person_id = acting.acting_person_id(request)
    if person_id is None:
        return None
    return Person.objects.filter(pk=person_id).first()


def _messages(request: SignedInRequest, exc: ValidationError) -> None:
    for text in exc.messages:
        messages.error(request, text)


# What a staff page calls the fields a service names (its notes are one box each).
STAFF_LABELS = {
    "note": gettext_lazy("Note"),
    "reason": gettext_lazy("Reason"),
    "answer": gettext_lazy("Official answer"),
    "result": gettext_lazy("Result"),
    "title": gettext_lazy("Title"),
    "workorder": gettext_lazy("Suggestion"),
    "proposal": gettext_lazy("Proposal"),
}


def _staff_messages(request: SignedInRequest, exc: ValidationError) -> None:
    """Each refusal on the workbench, named by its field: "Reason: This field is required."."""
    for field, texts in exc.message_dict.items():
        label = STAFF_LABELS.get(field)
        for text in texts:
            shown = _("%(field)s: %(message)s") % {"field": label, "message": text}
            messages.error(request, shown if label else text)


# --- /m/: residents -----------------------------------------------------------------------


@resident_login_required
@require_GET
def m_list(request: SignedInRequest) -> HttpResponse:
    _keep_elder_choice(request)
    proposals = list(selectors.proposal_list_for(user=request.user)[:LIST_LIMIT])
    polls = list(selectors.poll_list_for(user=request.user)[:LIST_LIMIT])
    now = clock.now()
    return render(
        request,
        "proposals/m/list.html",
        {"proposals": proposals, "polls": polls, "now": now},
    )


@resident_login_required
@require_http_methods(["GET", "POST"])
def m_new(request: SignedInRequest) -> HttpResponse:
    person = _acting_person(request)
    areas = services.areas_for(person) if person is not None else []
    choices = [(a.pk, a.name) for a in areas]
    posted = request.method == "POST"
    form = ProposalForm(request.POST if posted else None, areas=choices)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            proposal = services.proposal_submit(
                actor=request.user,
                person=person,
                area=next((a for a in areas if a.pk == data["area"]), None),
                title=data["title"],
                body=data["body"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Sent. Staff will read it and publish it for support."))
            return redirect("proposals_m:detail", proposal_id=proposal.pk)
    link = acting.acting_for(request)
    return render(request, "proposals/m/new.html", {"form": form, "person": person, "link": link})


@resident_login_required
@require_GET
def m_detail(request: SignedInRequest, proposal_id: int) -> HttpResponse:
    _keep_elder_choice(request)
    proposal = selectors.proposal_get_for(user=request.user, proposal_id=proposal_id)
    person = _acting_person(request)
    support = selectors.support_of(proposal, person)
    context = {
        "proposal": proposal,
        "updates": [u for u in selectors.proposal_updates(proposal) if u.action != "publish"],
        "support": support,
        "may_support": proposal.status in SUPPORTABLE
        and person is not None
        and support is None
        and policy.lives_in(person, proposal.area_path),
        "poll": getattr(proposal, "poll", None),
        "link": acting.acting_for(request),
    }
    return render(request, "proposals/m/detail.html", context)


@resident_login_required
@require_POST
def m_support(request: SignedInRequest, proposal_id: int) -> HttpResponse:
    proposal = selectors.proposal_get_for(user=request.user, proposal_id=proposal_id)
    try:
        services.proposal_support(
            actor=request.user, proposal=proposal, person=_acting_person(request)
        )
    except ValidationError as exc:
        _messages(request, exc)
    else:
        messages.success(request, _("Thank you: your support is counted."))
    return redirect("proposals_m:detail", proposal_id=proposal.pk)


def _device(request: SignedInRequest) -> tuple[str, bool]:
    """The device cookie's value (made now when missing: then True)."""
    found = request.COOKIES.get(DEVICE_COOKIE, "")
    if found and len(found) <= 64:
        return found, False
    return secrets.token_urlsafe(24), True


@resident_login_required
@require_GET
def m_poll(request: SignedInRequest, poll_id: int) -> HttpResponse:
    _keep_elder_choice(request)
    poll = selectors.poll_get_for(user=request.user, poll_id=poll_id)
    person = _acting_person(request)
    vote = selectors.vote_of(poll, person)
    now = clock.now()
    context = {
        "poll": poll,
        "options": list(poll.options.all()),
        "vote": vote,
        "is_open": poll.is_open(now),
        "not_yet": now < poll.opens_at,
        "may_vote": poll.is_open(now)
        and person is not None
        and vote is None
        and policy.lives_in(person, poll.area_path),
        "results": selectors.poll_results(poll)
        if selectors.results_shown(user=request.user, poll=poll, voted=vote is not None)
        else None,
        "link": acting.acting_for(request),
    }
    response = render(request, "proposals/m/poll.html", context)
    value, new = _device(request)
    if new:
        response.set_cookie(
            DEVICE_COOKIE, value, max_age=DEVICE_COOKIE_AGE, httponly=True, samesite="Lax",
            secure=request.is_secure(),
        )  # fmt: skip
    return response


@resident_login_required
@require_POST
def m_vote(request: SignedInRequest, poll_id: int) -> HttpResponse:
    poll = selectors.poll_get_for(user=request.user, poll_id=poll_id)
    value, new = _device(request)
    try:
        option = int(request.POST.get("option", ""))
    except ValueError:
        option = None
    try:
        services.poll_vote(
            actor=request.user,
            poll=poll,
            person=_acting_person(request),
            option=option,
            address=client_ip(request),
            device=value,
        )
    except ValidationError as exc:
        _messages(request, exc)
    else:
        messages.success(request, _("Your vote is counted."))
    response = redirect("proposals_m:poll", poll_id=poll.pk)
    if new:
        response.set_cookie(
            DEVICE_COOKIE, value, max_age=DEVICE_COOKIE_AGE, httponly=True, samesite="Lax",
            secure=request.is_secure(),
        )  # fmt: skip
    return response


# --- the workbench: staff ---------------------------------------------------------------


def _managed_proposal(request: SignedInRequest, proposal_id: int) -> Proposal:
    """Seen where the user belongs (else 404), managed only with proposal.manage (else 403)."""
    proposal = selectors.proposal_get_for(user=request.user, proposal_id=proposal_id)
    if not policy.may_manage(request.user, proposal.area_path):
        raise Forbidden()
    return proposal


def _managed_poll(request: SignedInRequest, poll_id: int) -> Poll:
    poll = selectors.poll_get_for(user=request.user, poll_id=poll_id)
    if not policy.may_manage(request.user, poll.area_path):
        raise Forbidden()
    return poll


def _areas(request: SignedInRequest) -> list[tuple[int, str]]:
    areas = Area.objects.restrict(request.user, Perm.PROPOSAL_MANAGE).filter(
        kind__in=(AreaKind.COMMUNITY, AreaKind.GRID)
    )
    return [(a.pk, a.name) for a in areas.order_by("path")[:200]]


@requires(Perm.PROPOSAL_MANAGE)
@require_GET
def queue(request: SignedInRequest) -> HttpResponse:
    status = request.GET.get("status", "submitted")
    if status not in ALLOWED_TRANSITIONS and status != "all":
        status = "submitted"
    proposals = selectors.proposal_queue_for(
        user=request.user, status="" if status == "all" else status
    )
    context = {
        "proposals": list(proposals[:200]),
        "status": status,
        "statuses": [("submitted", _("Waiting")), ("published", _("Open")), ("answered", _("Answered")),
                     ("in_progress", _("In progress")), ("all", _("All"))],
        "suggestions": selectors.suggestion_orders_for(user=request.user),
    }  # fmt: skip
    return render(request, "proposals/staff/queue.html", context)


@requires(Perm.PROPOSAL_MANAGE)
@require_POST
def from_order(request: SignedInRequest) -> HttpResponse:
    from gongzhi.workorders.selectors import workorder_get_for

    form = FromOrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Suggestion: choose one of the list."))
        return redirect("proposals:queue")
    try:
        order = workorder_get_for(user=request.user, order_id=form.cleaned_data["workorder"])
        proposal = services.proposal_from_workorder(
            actor=request.user, order=order, title=form.cleaned_data["title"]
        )
    except NotFound:
        messages.error(request, _("Suggestion: no such record in your area."))
    except ValidationError as exc:
        _staff_messages(request, exc)
    else:
        messages.success(request, _("Published for support."))
        return redirect("proposals:detail", proposal_id=proposal.pk)
    return redirect("proposals:queue")


@login_required
@require_GET
def detail(request: SignedInRequest, proposal_id: int) -> HttpResponse:
    proposal = _managed_proposal(request, proposal_id)
    steps = [
        (action, ACTIONS[action])
        for action in Action.values
        if ACTIONS[action].target in ALLOWED_TRANSITIONS[proposal.status]
    ]
    context = {
        "proposal": proposal,
        "updates": selectors.proposal_updates(proposal),
        "supports": selectors.supports_of(proposal).count(),
        "proxy_supports": selectors.supports_of(proposal).filter(by_proxy=True).count(),
        "steps": [(a, Action(a).label, move.note_field, move.needs_note) for a, move in steps],
        "may_poll": proposal.status in POLLABLE and not hasattr(proposal, "poll"),
    }
    return render(request, "proposals/staff/detail.html", context)


@login_required
@require_POST
def step(request: SignedInRequest, proposal_id: int) -> HttpResponse:
    proposal = _managed_proposal(request, proposal_id)
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Step: choose one of the steps shown."))
        return redirect("proposals:detail", proposal_id=proposal.pk)
    try:
        services.proposal_transition(
            actor=request.user,
            proposal=proposal,
            action=form.cleaned_data["action"],
            note=form.cleaned_data["note"],
        )
    except Conflict as exc:
        messages.error(request, str(exc.message))
    except ValidationError as exc:
        _staff_messages(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect("proposals:detail", proposal_id=proposal.pk)


@requires(Perm.PROPOSAL_MANAGE)
@require_GET
def polls(request: SignedInRequest) -> HttpResponse:
    found = list(selectors.poll_list_managed(user=request.user)[:200])
    return render(
        request,
        "proposals/staff/polls.html",
        {"polls": found, "now": clock.now()},
    )


@requires(Perm.PROPOSAL_MANAGE)
@require_http_methods(["GET", "POST"])
def poll_new(request: SignedInRequest) -> HttpResponse:
    posted = request.method == "POST"
    source = request.POST if posted else request.GET
    proposal = None
    if source.get("proposal"):
        proposal = selectors.proposal_get_managed(user=request.user, proposal_id=source["proposal"])
    initial: dict[str, Any] = {}
    if proposal is not None:
        initial = {"proposal": proposal.pk, "question": proposal.title}
    form = PollForm(request.POST if posted else None, initial=initial, areas=_areas(request))
    if posted and form.is_valid():
        data = form.cleaned_data
        area = (
            Area.objects.restrict(request.user, Perm.PROPOSAL_MANAGE)
            .filter(pk=data["area"])
            .first()
            if data["area"]
            else None
        )
        try:
            poll = services.poll_create(
                actor=request.user,
                area=area,
                question=data["question"],
                options=form.option_lines(),
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
                results_visibility=data["results_visibility"],
                proposal=proposal,
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("The poll is set up."))
            return redirect("proposals:poll", poll_id=poll.pk)
    return render(
        request,
        "proposals/staff/poll_new.html",
        {"form": form, "proposal": proposal},
    )


@login_required
@require_GET
def poll(request: SignedInRequest, poll_id: int) -> HttpResponse:
    found = _managed_poll(request, poll_id)
    context = {
        "poll": found,
        "results": selectors.poll_results(found),
        "flags": list(selectors.poll_flags(found)),
        "now": clock.now(),
    }
    return render(request, "proposals/staff/poll.html", context)


@login_required
@require_POST
def flag_review(request: SignedInRequest, poll_id: int) -> HttpResponse:
    found = _managed_poll(request, poll_id)
    form = ReviewForm(request.POST)
    flag = None
    if form.is_valid():
        flag = found.flags.filter(pk=form.cleaned_data["flag"]).first()
    if flag is None:
        messages.error(request, _("Flag: choose one of this poll's flags."))
        return redirect("proposals:poll", poll_id=found.pk)
    try:
        services.flag_review(actor=request.user, flag=flag, note=form.cleaned_data["note"])
    except ValidationError as exc:
        _staff_messages(request, exc)
    else:
        messages.success(request, _("Marked as reviewed. The votes are unchanged."))
    return redirect("proposals:poll", poll_id=found.pk)
