"""Staff administration over REST: the same services and rules as the pages.

Thin operations: an account by id only from `staff.staff_get_for` (missing and out of the
manager's reach alike are 404), a node named in a body from `staff.area_for_manager`
(elsewhere: "no such record in your area" on that field); every write goes through
`accounts.staff` / `accounts.services`, which check `managing`, validate and audit. A
mobile number is always the masked text; no operation ever answers a password or a link.
"""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_otp import user_has_device
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from gongzhi.accounts import services, staff
from gongzhi.accounts.models import AccountLinkKind, Membership, Role, User
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.api_schemas import ERRORS, WRITE_ERRORS, Clean, Id, In, Page
from gongzhi.core.errors import NotFound

router = Router(tags=["accounts"])


# --- schemas -----------------------------------------------------------------------------------


class RoleOut(Schema):
    id: int
    area_id: int
    area_name: str
    role: str
    is_active: bool
    since: dt.datetime | None

    @staticmethod
    def resolve_area_name(obj: Membership) -> str:
        return obj.area.name

    @staticmethod
    def resolve_since(obj: Membership) -> dt.datetime | None:
        return obj.granted_at or obj.created_at


class AccountOut(Schema):
    id: int
    username: str
    display_name: str
    phone: str = Field(description="always masked")
    is_active: bool
    has_password: bool
    has_second_factor: bool
    roles: list[RoleOut] = Field(description="its roles within the caller's area")

    @staticmethod
    def resolve_phone(obj: User) -> str:
        return str(obj.phone) if obj.phone else ""

    @staticmethod
    def resolve_has_password(obj: User) -> bool:
        return obj.has_usable_password()

    @staticmethod
    def resolve_has_second_factor(obj: User) -> bool:
        return user_has_device(obj)

    @staticmethod
    def resolve_roles(obj: User, context: Any) -> list[Membership]:
        found = getattr(obj, "roles_here", None)
        if found is None:
            found = list(staff.roles_of(user=context["request"].user, account=obj))
        return found


class AccountFiltersIn(Clean):
    q: str = Field("", max_length=60, description="part of the username or the name")
    role: Role | None = None
    status: Literal["active", "inactive"] | None = None


class AccountCreateIn(In):
    username: str = Field(max_length=40)
    display_name: str = Field(max_length=40)
    phone: str = Field(
        max_length=32, description="a mainland mobile number: the invitation goes there"
    )
    area: Id = Field(description="id of the node of its first role")
    role: Role
    invite: bool = Field(True, description="text the invitation to set a password now")


class GrantIn(In):
    area: Id = Field(description="id of the node")
    role: Role


class AccountReasonIn(In):
    reason: str = Field(max_length=staff.REASON_MAX, description="why; kept in the audit log")


class HolderOut(Schema):
    id: int = Field(description="the role's (membership's) id")
    area_id: int
    area_name: str
    role: str
    user_id: int
    username: str
    display_name: str
    since: dt.datetime | None

    @staticmethod
    def resolve_area_name(obj: Membership) -> str:
        return obj.area.name

    @staticmethod
    def resolve_username(obj: Membership) -> str:
        return obj.user.username

    @staticmethod
    def resolve_display_name(obj: Membership) -> str:
        return obj.user.display_name

    @staticmethod
    def resolve_since(obj: Membership) -> dt.datetime | None:
        return obj.granted_at or obj.created_at


class HolderFiltersIn(Clean):
    area_id: Id | None = Field(None, description="a node in your area; default: all of it")
    role: Role | None = None


class SignInOut(Schema):
    at: dt.datetime
    method: str
    ok: bool
    address: str = Field(description="coarse: the network, not the machine")
    via: str


def _area(user: User, area_id: int) -> Any:
    try:
        return staff.area_for_manager(user=user, area_id=area_id)
    except NotFound:
        raise ValidationError({"area": [_("No such record in your area.")]}) from None


def _account(request: SignedInRequest, account_id: int) -> User:
    return staff.staff_get_for(user=request.user, user_id=account_id)


# --- accounts --------------------------------------------------------------------------------


@router.get(
    "/accounts",
    response={200: list[AccountOut], **ERRORS},
    operation_id="account_list",
    url_name="account_list",
)
@paginate(Page)
def account_list(request: SignedInRequest, filters: Query[AccountFiltersIn]) -> Any:
    """Staff accounts where the caller manages accounts (accounts.manage)."""
    return staff.staff_list_for(
        user=request.user, q=filters.q, role=filters.role or "", status=filters.status or ""
    )


@router.post("/accounts", response={201: AccountOut, **WRITE_ERRORS}, operation_id="account_create")
def account_create(request: SignedInRequest, payload: AccountCreateIn) -> Any:
    """A staff account with its first role; by default it is texted a link to set its
    password (no one else ever sees or sets it)."""
    user = request.user
    account = staff.staff_create(
        actor=user,
        username=payload.username,
        display_name=payload.display_name,
        phone=payload.phone,
        area=_area(user, payload.area),
        role=payload.role,
        invite=payload.invite,
    )
    return Status(201, account)


@router.get(
    "/accounts/{account_id}", response={200: AccountOut, **ERRORS}, operation_id="account_get"
)
def account_get(request: SignedInRequest, account_id: int) -> Any:
    return _account(request, account_id)


@router.post(
    "/accounts/{account_id}/roles",
    response={201: RoleOut, **WRITE_ERRORS},
    operation_id="account_role_grant",
)
def account_role_grant(request: SignedInRequest, account_id: int, payload: GrantIn) -> Any:
    """Grant a role on a node: only where the caller manages accounts, only a role whose
    permissions the caller holds there; an auditor is never also an administrator."""
    account = _account(request, account_id)
    membership = services.membership_grant(
        actor=request.user, user=account, area=_area(request.user, payload.area), role=payload.role
    )
    return Status(201, membership)


@router.post(
    "/accounts/{account_id}/roles/{account_role_id}/revoke",
    response={200: RoleOut, **WRITE_ERRORS},
    operation_id="account_role_revoke",
)
def account_role_revoke(request: SignedInRequest, account_id: int, account_role_id: int) -> Any:
    account = _account(request, account_id)
    membership = staff.membership_get_for(
        user=request.user, account=account, membership_id=account_role_id
    )
    return services.membership_revoke(actor=request.user, membership=membership)


@router.post(
    "/accounts/{account_id}/invite",
    response={200: AccountOut, **WRITE_ERRORS},
    operation_id="account_invite",
)
def account_invite(request: SignedInRequest, account_id: int) -> Any:
    """Text the account a new link to set its password (older links end)."""
    account = _account(request, account_id)
    staff.account_link_send(actor=request.user, user=account, kind=AccountLinkKind.INVITE)
    return account


@router.post(
    "/accounts/{account_id}/reset-password",
    response={200: AccountOut, **WRITE_ERRORS},
    operation_id="account_reset_password",
)
def account_reset_password(request: SignedInRequest, account_id: int) -> Any:
    """End the account's password (and sessions) and text it a link to set a new one."""
    account = _account(request, account_id)
    staff.account_link_send(actor=request.user, user=account, kind=AccountLinkKind.RESET)
    account.refresh_from_db()
    return account


@router.post(
    "/accounts/{account_id}/deactivate",
    response={200: AccountOut, **WRITE_ERRORS},
    operation_id="account_deactivate",
)
def account_deactivate(request: SignedInRequest, account_id: int) -> Any:
    """Close the account: signed out, API keys revoked for good, open links ended."""
    return staff.account_deactivate(actor=request.user, user=_account(request, account_id))


@router.post(
    "/accounts/{account_id}/reactivate",
    response={200: AccountOut, **WRITE_ERRORS},
    operation_id="account_reactivate",
)
def account_reactivate(request: SignedInRequest, account_id: int) -> Any:
    return staff.account_reactivate(actor=request.user, user=_account(request, account_id))


@router.post(
    "/accounts/{account_id}/reset-second-factor",
    response={200: AccountOut, **WRITE_ERRORS},
    operation_id="account_reset_second_factor",
)
def account_reset_second_factor(
    request: SignedInRequest, account_id: int, payload: AccountReasonIn
) -> Any:
    """Remove the account's second-factor devices (a lost phone); the reason is audited
    and the holder enrols again at the next sign-in."""
    account = _account(request, account_id)
    staff.second_factor_reset(actor=request.user, user=account, reason=payload.reason)
    return account


@router.get(
    "/role-holders",
    response={200: list[HolderOut], **ERRORS},
    operation_id="role_holder_list",
    url_name="role_holder_list",
)
@paginate(Page)
def role_holder_list(request: SignedInRequest, filters: Query[HolderFiltersIn]) -> Any:
    """Who holds what: the active staff roles on a node and below (default: everywhere the
    caller manages accounts), in tree order."""
    user = request.user
    if filters.area_id is not None:
        areas = [staff.area_for_manager(user=user, area_id=filters.area_id)]
    else:
        areas = staff.top_areas_for_manager(user=user)
    return staff.holders_within_all(user=user, areas=areas, role=filters.role or "")


@router.get(
    "/me/sign-ins",
    response={200: list[SignInOut], **ERRORS},
    operation_id="my_sign_ins",
    url_name="my_sign_ins",
)
def my_sign_ins(request: SignedInRequest) -> Any:
    """The caller's own latest sign-ins and failed attempts, newest first."""
    return staff.sign_ins_for(user=request.user)
