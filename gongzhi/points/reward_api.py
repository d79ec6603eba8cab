"""Rewards (能量仓) over REST.

    GET   /rewards/catalogue                 what the caller may redeem, with their balance
    POST  /rewards/{reward_id}/redeem        redeem one item with the caller's points
    GET   /vouchers/mine                     the caller's vouchers (codes included)
    POST  /vouchers/{voucher_id}/cancel      cancel one of them before hand-over
    GET   /rewards                           the catalogue staff keep (rewards.manage)
    POST  /rewards                           add a reward to a community's catalogue
    PATCH /rewards/{reward_id}               rename, describe, reprice
    POST  /rewards/{reward_id}/restock       add items
    POST  /rewards/{reward_id}/retire        withdraw (or, with active=true, put back)
    POST  /vouchers/hand-over                hand over the reward of a scanned code
    GET   /vouchers/handed-out               the exchange point's history (rewards.hand_out)

Thin operations over `points.rewards` and `points.reward_selectors`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.api_schemas import WRITE_ERRORS, ErrorOut, Id, In, Mapped, Page
from gongzhi.core.errors import NotFound
from gongzhi.points import ledger, rewards
from gongzhi.points import reward_selectors as selectors
from gongzhi.points.models import TEXT_MAX, TITLE_MAX, Redemption, Reward

router = Router(tags=["rewards"])


class RewardOut(Schema):
    id: int
    community_id: int
    name: str
    description: str
    price: int = Field(description="points")
    stock: int
    active: bool


class RewardCatalogueOut(Schema):
    balance: int = Field(description="the caller's points")
    rewards: list[RewardOut]


class VoucherOut(Schema):
    id: int
    reward_id: int
    reward: str
    points: int
    code: str = Field(description="what the QR carries; shown at the exchange point")
    status: str
    redeemed_at: dt.datetime
    handed_over_at: dt.datetime | None


class HandedOutOut(Schema):
    id: int
    reward_id: int
    reward: str
    points: int
    status: str
    redeemed_at: dt.datetime
    handed_over_at: dt.datetime | None
    handed_over_by: str | None


class RewardIn(In):
    community: Id
    name: str = Field(max_length=TITLE_MAX)
    description: str = Field("", max_length=TEXT_MAX)
    price: int = Field(ge=1, le=rewards.PRICE_MAX)
    stock: int = Field(0, ge=0, le=rewards.STOCK_MAX)


class RewardUpdateIn(In):
    name: str = Field(max_length=TITLE_MAX)
    description: str = Field("", max_length=TEXT_MAX)
    price: int = Field(ge=1, le=rewards.PRICE_MAX)


class RestockIn(In):
    add: int = Field(ge=1, le=rewards.STOCK_MAX)


class RetireIn(In):
    active: bool = Field(False, description="true puts a withdrawn reward back")


class CodeIn(In):
    code: str = Field(max_length=32, description="the voucher code, as scanned or typed")


def _voucher(row: Redemption) -> dict[str, Any]:
    return {
        "id": row.pk,
        "reward_id": row.reward_id,
        "reward": row.reward.name,
        "points": row.points,
        "code": row.voucher,
        "status": row.status,
        "redeemed_at": row.created_at,
        "handed_over_at": row.handed_over_at,
    }


def _handed_out(row: Redemption) -> dict[str, Any]:
    return {
        "id": row.pk,
        "reward_id": row.reward_id,
        "reward": row.reward.name,
        "points": row.points,
        "status": row.status,
        "redeemed_at": row.created_at,
        "handed_over_at": row.handed_over_at,
        "handed_over_by": row.handed_over_by.username if row.handed_over_by else None,
    }


@router.get(
    "/rewards/catalogue",
    response={200: RewardCatalogueOut, **WRITE_ERRORS},
    operation_id="reward_catalogue",
)
def reward_catalogue(request: SignedInRequest) -> Any:
    """The active rewards of the communities the caller lives or serves in, and their
    balance."""
    holder = request.user
    return {
        "balance": ledger.balance_of(holder),
        "rewards": list(selectors.catalogue_for(holder=holder)[:200]),
    }


@router.post(
    "/rewards/{reward_id}/redeem",
    response={201: VoucherOut, **WRITE_ERRORS},
    operation_id="reward_redeem",
)
def reward_redeem(request: SignedInRequest, reward_id: Id) -> Any:
    """Redeem one item with the caller's points: 400 naming `reward` when it is out of
    stock or withdrawn, `points` when the balance is short. 404: not in the caller's
    community."""
    reward = selectors.reward_to_redeem(holder=request.user, reward_id=reward_id)
    redemption = rewards.redeem(actor=request.user, reward=reward)
    redemption.reward = reward
    return Status(201, _voucher(redemption))


@router.get(
    "/vouchers/mine",
    response={200: list[VoucherOut], **WRITE_ERRORS},
    operation_id="voucher_mine",
)
@paginate(Page)
def voucher_mine(request: SignedInRequest) -> Any:
    """The caller's own vouchers, newest first."""
    return Mapped(selectors.vouchers_of(holder=request.user), _voucher)


@router.post(
    "/vouchers/{voucher_id}/cancel",
    response={200: VoucherOut, **WRITE_ERRORS},
    operation_id="voucher_cancel",
)
def voucher_cancel(request: SignedInRequest, voucher_id: Id) -> Any:
    """Cancel one of the caller's vouchers before hand-over: stock and points back."""
    found = selectors.voucher_get_own(user=request.user, redemption_id=voucher_id)
    return _voucher(rewards.redemption_cancel(actor=request.user, redemption=found))


@router.get(
    "/rewards",
    response={200: list[RewardOut], **WRITE_ERRORS},
    operation_id="reward_list",
)
@paginate(Page)
def reward_list(request: SignedInRequest) -> Any:
    """The catalogues the caller keeps (rewards.manage), withdrawn rewards included."""
    return selectors.reward_list_for(user=request.user).order_by("area_path", "price", "pk")


@router.post("/rewards", response={201: RewardOut, **WRITE_ERRORS}, operation_id="reward_create")
def reward_create(request: SignedInRequest, payload: RewardIn) -> Any:
    """Add a reward to a community's catalogue (rewards.manage there)."""
    if not access.can(request.user, Perm.REWARDS_MANAGE):
        raise NotFound()
    community = selectors.manageable_community_get(user=request.user, area_id=payload.community)
    if community is None:
        raise ValidationError({"community": [_("No such record in your area.")]})
    reward = rewards.reward_create(
        actor=request.user,
        community=community,
        name=payload.name,
        description=payload.description,
        price=payload.price,
        stock=payload.stock,
    )
    return Status(201, reward)


def _managed(request: SignedInRequest, reward_id: int) -> Reward:
    return selectors.reward_get_for(user=request.user, reward_id=reward_id)


@router.patch(
    "/rewards/{reward_id}", response={200: RewardOut, **WRITE_ERRORS}, operation_id="reward_update"
)
def reward_update(request: SignedInRequest, reward_id: Id, payload: RewardUpdateIn) -> Any:
    return rewards.reward_update(
        actor=request.user,
        reward=_managed(request, reward_id),
        name=payload.name,
        description=payload.description,
        price=payload.price,
    )


@router.post(
    "/rewards/{reward_id}/restock",
    response={200: RewardOut, **WRITE_ERRORS},
    operation_id="reward_restock",
)
def reward_restock(request: SignedInRequest, reward_id: Id, payload: RestockIn) -> Any:
    return rewards.reward_restock(
        actor=request.user, reward=_managed(request, reward_id), add=payload.add
    )


@router.post(
    "/rewards/{reward_id}/retire",
    response={200: RewardOut, **WRITE_ERRORS},
    operation_id="reward_retire",
)
def reward_retire(request: SignedInRequest, reward_id: Id, payload: RetireIn) -> Any:
    return rewards.reward_retire(
        actor=request.user, reward=_managed(request, reward_id), active=payload.active
    )


@router.post(
    "/vouchers/hand-over",
    # 429: too many wrong codes from this staff member (rewards.VoucherMisses).
    response={200: HandedOutOut, **WRITE_ERRORS, 429: ErrorOut},
    operation_id="voucher_hand_over",
)
def voucher_hand_over(request: SignedInRequest, payload: CodeIn) -> Any:
    """Hand over the reward of a scanned or typed voucher (rewards.hand_out in its
    community). An unknown code and one of another community are the same 400 naming
    `code`; wrong codes are counted per staff member (429 past the limit)."""
    return _handed_out(rewards.voucher_hand_over(actor=request.user, code=payload.code))


@router.get(
    "/vouchers/handed-out",
    response={200: list[HandedOutOut], **WRITE_ERRORS},
    operation_id="voucher_handed_out",
)
@paginate(Page)
def voucher_handed_out(request: SignedInRequest) -> Any:
    """Vouchers of the communities where the caller hands rewards out, newest first (codes
    left out: an issued voucher's code is the holder's)."""
    return Mapped(selectors.handed_out_for(user=request.user), _handed_out)
