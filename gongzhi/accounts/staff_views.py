"""Pages of staff administration (accounts.manage) and of one's own account, and the
password link an invitation or a reset sends. Thin: `accounts.staff` reads and writes,
`accounts.managing` says who may."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import user_has_device

from gongzhi.accounts import access, exports, managing, services, staff
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.forms import (
    GrantForm,
    HoldersForm,
    ReasonForm,
    SetPasswordForm,
    StaffCreateForm,
    StaffFilterForm,
)
from gongzhi.accounts.models import AccountLink, AccountLinkKind, Role, User
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import NotFound, field_errors
from gongzhi.core.throttling import rate_limited
from gongzhi.core.validation import errors_to_form

PAGE_SIZE = 50
LINK_SESSION_KEY = "gongzhi.account_link"


def _grantable_anywhere(user: User, areas: list[Any]) -> list[str]:
    """Roles the manager may grant on at least one of their nodes (the form's choices);
    residents get their accounts on `/m/`, not here."""
    found: set[str] = set()
    for area in areas:
        found.update(staff.grantable_roles(user=user, area=area))
        if len(found) == len(Role.values):
            break
    return [r for r in Role.values if r in found and r != Role.RESIDENT]


def _area_or_error(form: Any, user: User) -> Any:
    try:
        return staff.area_for_manager(user=user, area_id=form.cleaned_data["area"])
    except NotFound:
        form.add_error("area", _("No such record in your area."))
        return None


# --- the list, a new account ---------------------------------------------------------------


@requires(Perm.ACCOUNTS_MANAGE)
def staff_list(request: SignedInRequest) -> HttpResponse:
    filters = StaffFilterForm(request.GET or None)
    clean = filters.cleaned_data if filters.is_valid() else {}
    accounts = staff.staff_list_for(
        user=request.user,
        q=clean.get("q", ""),
        role=clean.get("role", ""),
        status=clean.get("status", ""),
    )
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/staff_list.html", {"page_obj": page, "filters": filters})


@requires(Perm.ACCOUNTS_MANAGE)
@require_http_methods(["GET", "POST"])
def staff_create(request: SignedInRequest) -> HttpResponse:
    user = request.user
    areas = staff.areas_for_manager(user=user)
    form = StaffCreateForm(
        request.POST or None, areas=areas, roles=_grantable_anywhere(user, areas)
    )
    if request.method == "POST" and form.is_valid():
        area = _area_or_error(form, user)
        if area is not None:
            data = form.cleaned_data
            try:
                account = staff.staff_create(
                    actor=user,
                    username=data["username"],
                    display_name=data["display_name"],
                    phone=data["phone"],
                    area=area,
                    role=data["role"],
                    invite=data["invite"],
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                if data["invite"]:
                    messages.success(
                        request,
                        _("Account %(username)s is created; the invitation is on its way by SMS.")
                        % {"username": account.username},
                    )
                else:
                    messages.success(
                        request,
                        _("Account %(username)s is created; send the invitation when ready.")
                        % {"username": account.username},
                    )
                return redirect("accounts:staff_detail", user_id=account.pk)
    return render(request, "accounts/staff_form.html", {"form": form})


# --- one account -------------------------------------------------------------------------------


def _detail(
    request: SignedInRequest, account: User, grant_form: GrantForm | None = None
) -> HttpResponse:
    user = request.user
    areas = staff.areas_for_manager(user=user)
    if grant_form is None:
        grant_form = GrantForm(areas=areas, roles=_grantable_anywhere(user, areas))
    open_link = (
        AccountLink.objects.filter(user=account, used_at__isnull=True, ended_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
    context = {
        "account": account,
        "roles": staff.roles_of(user=user, account=account),
        "grant_form": grant_form,
        "in_reach": managing.account_in_reach(user, account),
        "has_device": user_has_device(account, confirmed=None),
        "has_password": account.has_usable_password(),
        "open_link": open_link,
        "is_self": account.pk == user.pk,
    }
    return render(request, "accounts/staff_detail.html", context)


@requires(Perm.ACCOUNTS_MANAGE)
def staff_detail(request: SignedInRequest, user_id: int) -> HttpResponse:
    account = staff.staff_get_for(user=request.user, user_id=user_id)
    return _detail(request, account)


@requires(Perm.ACCOUNTS_MANAGE)
@require_POST
def staff_grant(request: SignedInRequest, user_id: int) -> HttpResponse:
    user = request.user
    account = staff.staff_get_for(user=user, user_id=user_id)
    areas = staff.areas_for_manager(user=user)
    form = GrantForm(request.POST, areas=areas, roles=_grantable_anywhere(user, areas))
    if form.is_valid():
        area = _area_or_error(form, user)
        if area is not None:
            try:
                services.membership_grant(
                    actor=user, user=account, area=area, role=form.cleaned_data["role"]
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, _("The role is granted."))
                return redirect("accounts:staff_detail", user_id=account.pk)
    return _detail(request, account, grant_form=form)


def _act(request: SignedInRequest, account: User, call: Any, done: str) -> HttpResponse:
    """Run one write on the account; its refusals become messages on the account's page."""
    try:
        call()
    except ValidationError as exc:
        for problems in field_errors(exc).values():
            for message in problems:
                messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect("accounts:staff_detail", user_id=account.pk)


@requires(Perm.ACCOUNTS_MANAGE)
@require_POST
def staff_revoke(request: SignedInRequest, user_id: int, membership_id: int) -> HttpResponse:
    user = request.user
    account = staff.staff_get_for(user=user, user_id=user_id)
    membership = staff.membership_get_for(user=user, account=account, membership_id=membership_id)
    return _act(
        request,
        account,
        lambda: services.membership_revoke(actor=user, membership=membership),
        _("The role is revoked."),
    )


@requires(Perm.ACCOUNTS_MANAGE)
@require_POST
def staff_invite(request: SignedInRequest, user_id: int) -> HttpResponse:
    account = staff.staff_get_for(user=request.user, user_id=user_id)
    return _act(
        request,
        account,
        lambda: staff.account_link_send(
            actor=request.user, user=account, kind=AccountLinkKind.INVITE
        ),
        _("The invitation is on its way by SMS."),
    )


@requires(Perm.ACCOUNTS_MANAGE)
@require_POST
def staff_reset_password(request: SignedInRequest, user_id: int) -> HttpResponse:
    account = staff.staff_get_for(user=request.user, user_id=user_id)
    return _act(
        request,
        account,
        lambda: staff.account_link_send(
            actor=request.user, user=account, kind=AccountLinkKind.RESET
        ),
        _("The old password no longer works; a link to set a new one is on its way by SMS."),
    )


@requires(Perm.ACCOUNTS_MANAGE)
@require_POST
def staff_deactivate(request: SignedInRequest, user_id: int) -> HttpResponse:
    account = staff.staff_get_for(user=request.user, user_id=user_id)
    return _act(
        request,
        account,
        lambda: staff.account_deactivate(actor=request.user, user=account),
        _("The account is deactivated: it is signed out and its API keys no longer work."),
    )


@requires(Perm.ACCOUNTS_MANAGE)
@require_POST
def staff_reactivate(request: SignedInRequest, user_id: int) -> HttpResponse:
    account = staff.staff_get_for(user=request.user, user_id=user_id)
    return _act(
        request,
        account,
        lambda: staff.account_reactivate(actor=request.user, user=account),
        _("The account is active again."),
    )


@requires(Perm.ACCOUNTS_MANAGE)
@require_http_methods(["GET", "POST"])
def staff_second_factor_reset(request: SignedInRequest, user_id: int) -> HttpResponse:
    user = request.user
    account = staff.staff_get_for(user=user, user_id=user_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            staff.second_factor_reset(actor=user, user=account, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(
                request,
                _(
                    "The second-factor device is removed; the holder enrols a new one at the next sign-in."
                ),
            )
            return redirect("accounts:staff_detail", user_id=account.pk)
    return render(
        request,
        "accounts/staff_second_factor.html",
        {"account": account, "form": form, "in_reach": managing.account_in_reach(user, account)},
    )


# --- who holds what -----------------------------------------------------------------------------


@requires(Perm.ACCOUNTS_MANAGE)
def holders(request: SignedInRequest) -> HttpResponseBase:
    user = request.user
    areas = staff.areas_for_manager(user=user)
    form = HoldersForm(request.GET or None, areas=areas)
    clean = form.cleaned_data if form.is_valid() else {}
    area = areas[0] if areas else None
    if clean.get("area"):
        area = staff.area_for_manager(user=user, area_id=clean["area"])
    rows = (
        staff.holders_within(user=user, area=area, role=clean.get("role", ""))
        if area is not None
        else User.objects.none()
    )
    if request.GET.get("export"):
        return exports.export_response(request, exports.HOLDERS, rows, filters=clean)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/holders.html", {"form": form, "page_obj": page, "area": area})


# --- one's own account ----------------------------------------------------------------------------


@login_required
def my_account(request: SignedInRequest) -> HttpResponse:
    user = request.user
    grants = sorted(access.grants(user), key=lambda g: g.path)
    context = {
        "account": user,
        "roles": [(Role(g.role).label, g) for g in grants if g.role in Role.values],
        "has_device": user_has_device(user),
        "sign_ins": staff.sign_ins_for(user=user),
    }
    return render(request, "accounts/my_account.html", context)


# --- the password link ---------------------------------------------------------------------------


@never_cache
@rate_limited()
@require_http_methods(["GET", "POST"])
def link_set(request: HttpRequest) -> HttpResponse:
    """The link from the SMS (`?t=<token>`) keeps its token in this browser's session and
    comes back without it, so the address holds no token (none in history, referrers or
    logs). Nothing is spent before the password is set, so a messenger's link preview does
    not use it up. A dead link answers 200 with an explanation, never an error status
    whose log line would carry the address."""
    if staff.LINK_PARAM in request.GET:
        token = request.GET[staff.LINK_PARAM]
        if staff.account_link_valid(token) is None:
            request.session.pop(LINK_SESSION_KEY, None)
            return render(request, "accounts/link_invalid.html")
        request.session[LINK_SESSION_KEY] = token
        return redirect("accounts:link_set")
    token = request.session.get(LINK_SESSION_KEY, "")
    link = staff.account_link_valid(token)
    if link is None:
        request.session.pop(LINK_SESSION_KEY, None)
        return render(request, "accounts/link_invalid.html")
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            staff.account_link_use(token=token, password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            if "token" in exc.message_dict:
                request.session.pop(LINK_SESSION_KEY, None)
                return render(request, "accounts/link_invalid.html")
            errors_to_form(
                form, ValidationError({"new_password2": exc.message_dict["new_password1"]})
            )
        else:
            request.session.pop(LINK_SESSION_KEY, None)
            messages.success(request, _("Your password is set; sign in with it now."))
            return redirect("accounts:login")
    return render(
        request,
        "accounts/link_set.html",
        {"form": form, "username": link.user.username, "link": link},
    )
