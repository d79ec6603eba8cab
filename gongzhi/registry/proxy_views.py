"""Pages of family proxies (数字反哺) in the workbench: the queue of requests to confirm
(grid worker, building head), and linking or unlinking a family member from the person's
page. Thin: `registry.proxies` reads and writes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.models import ProxyRequestStatus
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import Forbidden, field_errors
from gongzhi.registry import proxies, selectors
from gongzhi.registry.proxy_forms import ProxyFilterForm, ProxyLinkForm, RefuseForm

PAGE_SIZE = 50


def _errors_as_messages(request: SignedInRequest, exc: ValidationError) -> None:
    for problems in field_errors(exc).values():
        for message in problems:
            messages.error(request, message)


@requires(Perm.PROXY_CONFIRM)
def proxy_list(request: SignedInRequest) -> HttpResponse:
    filters = ProxyFilterForm(request.GET or None)
    status = (
        filters.cleaned_data.get("status", "") if filters.is_valid() else ""
    ) or ProxyRequestStatus.PENDING
    if request.GET.get("status") == "all":
        status = ""
    requests = proxies.proxy_requests_for(user=request.user, status=status)
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "status": status,
        "statuses": ProxyRequestStatus.choices,
        "refuse_form": RefuseForm(),
    }
    return render(request, "registry/proxy_list.html", context)


def _decide(request: SignedInRequest, proxy_request_id: int, approve: bool) -> HttpResponse:
    found = proxies.proxy_request_get_for(user=request.user, request_id=proxy_request_id)
    form = RefuseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        proxies.proxy_request_decide(
            actor=request.user, request=found, approve=approve, reason=reason
        )
    except ValidationError as exc:
        _errors_as_messages(request, exc)
    else:
        done = (
            _("Proxy request #%(id)d is confirmed.")
            if approve
            else _("Proxy request #%(id)d is refused.")
        )
        messages.success(request, done % {"id": found.pk})
    return redirect("registry:proxy_list")


@login_required
@require_POST
def proxy_approve(request: SignedInRequest, proxy_request_id: int) -> HttpResponse:
    return _decide(request, proxy_request_id, approve=True)


@login_required
@require_POST
def proxy_refuse(request: SignedInRequest, proxy_request_id: int) -> HttpResponse:
    return _decide(request, proxy_request_id, approve=False)


@login_required
@require_POST
def proxy_add(request: SignedInRequest, person_id: int) -> HttpResponse:
    """Link a family member on the spot, from the person's page."""
    person = selectors.person_get_for(user=request.user, person_id=person_id)
    if not access.can(request.user, Perm.PROXY_CONFIRM, person.area_path):
        raise Forbidden()
    form = ProxyLinkForm(request.POST)
    if not form.is_valid():
        for problems in form.errors.values():
            for message in problems:
                messages.error(request, str(message))
        return redirect("registry:person_detail", person_id=person.pk)
    data = form.cleaned_data
    try:
        proxies.proxy_link_add(
            actor=request.user,
            person=person,
            phone=data["phone"],
            relation=data["relation"],
            label=data["label"],
            name=data["name"],
        )
    except ValidationError as exc:
        _errors_as_messages(request, exc)
    else:
        messages.success(request, _("The family member may act for this person now."))
    return redirect("registry:person_detail", person_id=person.pk)


@login_required
@require_POST
def proxy_end(request: SignedInRequest, person_id: int, link_id: int) -> HttpResponse:
    person = selectors.person_get_for(user=request.user, person_id=person_id)
    proxies.proxy_link_end_for_person(actor=request.user, person=person, link_id=link_id)
    messages.success(request, _("The family member no longer acts for this person."))
    return redirect("registry:person_detail", person_id=person.pk)
