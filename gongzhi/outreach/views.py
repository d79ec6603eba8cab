"""Campaign pages: the list, the form (with a live count of the audience), the campaign
page with its progress refreshing itself, its actions, and — with the local gateway —
the outbox with simulated callbacks. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.validation import errors_to_form
from gongzhi.outreach import audiences, gateways, selectors, services
from gongzhi.outreach.forms import CampaignForm
from gongzhi.outreach.models import CampaignStatus

PAGE_SIZE = 50
ACTIONS = {
    "start": services.campaign_start,
    "pause": services.campaign_pause,
    "resume": services.campaign_resume,
    "cancel": services.campaign_cancel,
}


@requires(Perm.OUTREACH_VIEW, Perm.OUTREACH_RUN)
@require_GET
def campaigns(request: SignedInRequest) -> HttpResponse:
    page = Paginator(selectors.campaign_list_for(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "outreach/list.html",
        {"page_obj": page, "can_run": access.can(request.user, Perm.OUTREACH_RUN)},
    )


def _form(request: SignedInRequest, data: Any = None) -> CampaignForm:
    user = request.user
    return CampaignForm(
        data,
        areas=selectors.area_choices_for(user=user),
        audience_choices=selectors.audience_choices_for(user=user),
    )


@requires(Perm.OUTREACH_RUN)
@require_http_methods(["GET", "POST"])
def create(request: SignedInRequest) -> HttpResponseBase:
    form = _form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            area = selectors.area_get_for_run(user=request.user, area_id=form.cleaned_data["area"])
            campaign = services.campaign_create(
                actor=request.user, area=area, **form.service_fields()
            )
        except NotFound:
            form.add_error("area", _("Choose an area where you run campaigns."))
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Campaign saved. Check it, then start it."))
            return redirect("outreach:detail", campaign_id=campaign.pk)
    return render(request, "outreach/form.html", {"form": form})


@requires(Perm.OUTREACH_RUN)
@require_GET
def preview(request: SignedInRequest) -> HttpResponse:
    """The audience's live count for the form (an htmx fragment)."""
    form = _form(request, request.GET)
    form.is_valid()  # the audience needs only its own fields
    count, error = None, ""
    try:
        area = selectors.area_get_for_run(user=request.user, area_id=request.GET.get("area"))
        count = audiences.audience_count(user=request.user, area=area, audience=form.audience())
    except NotFound:
        error = _("Choose an area where you run campaigns.")
    except ValidationError as exc:
        error = " ".join(exc.messages)
    return render(request, "outreach/_preview.html", {"count": count, "error": error})


def _detail_context(request: SignedInRequest, campaign: Any) -> dict[str, Any]:
    running = campaign.status in (CampaignStatus.RUNNING, CampaignStatus.PAUSED)
    can_run = selectors.can_run(request.user, campaign)
    local = gateways.is_local()
    return {
        "campaign": campaign,
        "progress": selectors.campaign_progress(campaign),
        "live": running,
        "can_run": can_run,
        "audience_label": audiences.audience_label(campaign.audience),
        "channel_labels": campaign.channels,
        "local": local,
        "outbox": selectors.outbox_for(campaign) if local and can_run else [],
        "simulations": [("delivered", _("Delivered")), ("failed", _("Failed"))]
        + [(d, f"{d} {label}") for d, label in (campaign.choices or {}).items()]
        + [("9", _("9 Stop contacting me"))],
    }


@requires(Perm.OUTREACH_VIEW, Perm.OUTREACH_RUN)
@require_GET
def detail(request: SignedInRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get_for(user=request.user, campaign_id=campaign_id)
    return render(request, "outreach/detail.html", _detail_context(request, campaign))


@requires(Perm.OUTREACH_VIEW, Perm.OUTREACH_RUN)
@require_GET
def progress(request: SignedInRequest, campaign_id: int) -> HttpResponse:
    """The progress fragment the campaign page polls while the campaign runs."""
    campaign = selectors.campaign_get_for(user=request.user, campaign_id=campaign_id)
    return render(request, "outreach/_progress.html", _detail_context(request, campaign))


@requires(Perm.OUTREACH_VIEW, Perm.OUTREACH_RUN)
@require_POST
def act(request: SignedInRequest, campaign_id: int) -> HttpResponseBase:
    """Start, pause, resume or cancel (outreach.run where the campaign is)."""
    campaign = selectors.campaign_get_for(user=request.user, campaign_id=campaign_id)
    if not selectors.can_run(request.user, campaign):
        raise Forbidden()
    service = ACTIONS.get(request.POST.get("action", ""))
    if service is None:
        messages.error(request, _("Choose start, pause, resume or cancel."))
        return redirect("outreach:detail", campaign_id=campaign.pk)
    try:
        outcome = service(actor=request.user, campaign=campaign)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if isinstance(outcome, int) and not isinstance(outcome, bool):
            messages.success(
                request, _("Campaign started: %(n)d persons to contact.") % {"n": outcome}
            )
        else:
            messages.success(request, _("Done."))
    return redirect("outreach:detail", campaign_id=campaign.pk)


@requires(Perm.OUTREACH_VIEW, Perm.OUTREACH_RUN)
@require_POST
def simulate(request: SignedInRequest, attempt_id: int) -> HttpResponseBase:
    """The local gateway's outbox: what a provider would call back for an attempt."""
    attempt = selectors.attempt_get_for(user=request.user, attempt_id=attempt_id)
    campaign = attempt.campaign
    if not selectors.can_run(request.user, campaign):
        raise Forbidden()
    if not gateways.is_local():
        raise NotFound()
    try:
        services.attempt_simulate(
            actor=request.user, attempt=attempt, what=request.POST.get("what", "")
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    if request.htmx:
        return render(request, "outreach/_outbox.html", _detail_context(request, campaign))
    return redirect("outreach:detail", campaign_id=campaign.pk)
