"""Rewards (能量仓): the community's catalogue, redemption for points, QR vouchers, and the
hand-over at the exchange point. Every write of rewards and redemptions is here.

**Redemption is one transaction** (`redeem`) that
1. takes one item with a conditional `UPDATE reward SET stock = stock - 1 WHERE id = … AND
   active AND stock >= 1` (no row: out of stock, or withdrawn — nothing written);
2. inserts the `Redemption` with a random voucher code;
3. posts the ledger entry `redemption:<id>` through `ledger.entry_post`, which moves the
   balance by its own conditional UPDATE and refuses to go below zero — the refusal rolls
   back the stock and the redemption with it.
On PostgreSQL concurrent redemptions of one reward queue on its row (each re-checks
`stock >= 1` after the one before commits); on SQLite writers take turns (IMMEDIATE
transactions). Database checks (`stock >= 0`, `balance >= 0`) back both. So under any
concurrency stock and balances never go below zero and no redemption is half done.

**The voucher** is a 10-character code from an alphabet without look-alikes (no 0/O,
1/I/L); its QR carries the code alone, nothing about the holder. At the exchange point a
wrong code counts against the staff member's window (`VoucherMisses`): past the limit
every lookup is refused for a while and audited, so the exchange page is no oracle for
guessing codes. Hand-overs and cancellations are audited; a redemption itself is recorded
by its ledger entry (who pressed, for whom, when) and writes no audit entry, so that
concurrent redemptions do not queue on the audit chain too.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja.throttling import SimpleRateThrottle

from gongzhi.accounts import access
from gongzhi.accounts.models import User
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.selectors import proxy_link_for
from gongzhi.accounts.types import Actor
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, scope
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.validation import Errors, text_field
from gongzhi.points import ledger
from gongzhi.points.models import (
    TEXT_MAX,
    TITLE_MAX,
    EntryKind,
    Redemption,
    RedemptionStatus,
    Reward,
)
from gongzhi.registry.models import Area, AreaKind

VOUCHER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0 O 1 I L: read aloud, typed
VOUCHER_LENGTH = 10  # 31**10 ≈ 8e14 codes
PRICE_MAX = 1_000_000
STOCK_MAX = 1_000_000
# Wrong voucher codes a staff member may type in the window before lookups are refused.
DEFAULT_VOUCHER_MISS_RATE = "10/10min"
_CODE_NOISE = re.compile(r"[\s\-_.·]+")


# --- the voucher code -------------------------------------------------------------------


def voucher_new() -> str:
    return "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(VOUCHER_LENGTH))


def voucher_normalise(text: str) -> str:
    """What staff typed or a scanner read: spaces and dashes dropped, upper case."""
    return _CODE_NOISE.sub("", str(text or "")).upper()[:32]


def voucher_display(code: str) -> str:
    """ABCDE-FGHJK: easier to read out and type."""
    return f"{code[:5]}-{code[5:]}" if len(code) > 5 else code


# --- who may redeem where ----------------------------------------------------------------


def places_of(user: User) -> list[str]:
    """The user's places: their household's (in the register) and their memberships'."""
    found = []
    person = getattr(user, "person", None)
    if person is not None and person.area_path:
        found.append(str(person.area_path))
    found += [grant.path for grant in access.grants(user)]
    return found


def belongs_to(user: User, community_path: str) -> bool:
    """Does the user live in the community (their household) or hold a role inside it?"""
    return any(scope.within(place, [community_path]) for place in places_of(user))


def holder_for(*, actor: User, holder: User | None) -> User:
    """Whose points pay: the actor's own, or those of a person the actor may act for
    (an active, confirmed proxy link to the holder's register record)."""
    if holder is None or holder.pk == actor.pk:
        return actor
    if not holder.person_id or proxy_link_for(actor, holder.person_id) is None:
        raise Forbidden(_("You may redeem only for yourself or for someone you act for."))
    return holder


# --- the catalogue ---------------------------------------------------------------------


def _reward_fields(
    errors: Errors, *, name: Any, description: Any, price: Any
) -> tuple[str, str, int]:
    name = text_field(errors, "name", name, TITLE_MAX, required=True, one_line=True)
    description = text_field(errors, "description", description, TEXT_MAX)
    price_value = _whole(errors, "price", price, low=1, high=PRICE_MAX)
    return name, description, price_value


def _whole(errors: Errors, field: str, value: Any, *, low: int, high: int) -> int:
    try:
        number = int(value)
        if isinstance(value, bool) or str(number) != str(value).strip():
            raise ValueError
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Enter a whole number."))
        return 0
    if not low <= number <= high:
        errors.setdefault(field, []).append(
            _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
        )
    return number


def _audit(actor: Actor, action: str, obj: Any, fields: tuple[str, ...] = ()) -> None:
    audit_record(actor=actor, action=action, obj=obj, area_path=obj.area_path, fields=fields)


@transaction.atomic
def reward_create(
    *,
    actor: Actor,
    community: Area,
    name: str,
    price: int,
    stock: int = 0,
    description: str = "",
) -> Reward:
    """Add a reward to a community's catalogue (rewards.manage in the community)."""
    errors: Errors = {}
    if community.kind != AreaKind.COMMUNITY:
        errors["community"] = [_("Rewards belong to a community: choose a community.")]
    else:
        access.require(actor, Perm.REWARDS_MANAGE, community.path)
    name, description, price = _reward_fields(
        errors, name=name, description=description, price=price
    )
    stock = _whole(errors, "stock", stock, low=0, high=STOCK_MAX)
    if errors:
        raise ValidationError(errors)
    reward = Reward.objects.create(
        community=community,
        area_path=community.path,
        name=name,
        description=description,
        price=price,
        stock=stock,
    )
    _audit(actor, "rewards.reward_create", reward)
    return reward


@transaction.atomic
def reward_update(
    *, actor: Actor, reward: Reward, name: str, price: int, description: str = ""
) -> Reward:
    """Rename, describe or reprice a reward. Vouchers already issued keep their price."""
    access.require(actor, Perm.REWARDS_MANAGE, reward.area_path)
    errors: Errors = {}
    name, description, price = _reward_fields(
        errors, name=name, description=description, price=price
    )
    if errors:
        raise ValidationError(errors)
    changed = tuple(
        f
        for f, v in (("name", name), ("description", description), ("price", price))
        if getattr(reward, f) != v
    )
    Reward.objects.filter(pk=reward.pk).update(
        name=name, description=description, price=price, updated_at=clock.now()
    )
    reward.refresh_from_db()
    if changed:
        _audit(actor, "rewards.reward_update", reward, changed)
    return reward


@transaction.atomic
def reward_restock(*, actor: Actor, reward: Reward, add: int) -> Reward:
    """Add items to the stock (a relative UPDATE: redemptions meanwhile are not lost)."""
    access.require(actor, Perm.REWARDS_MANAGE, reward.area_path)
    errors: Errors = {}
    add = _whole(errors, "add", add, low=1, high=STOCK_MAX)
    if errors:
        raise ValidationError(errors)
    moved = Reward.objects.filter(pk=reward.pk, stock__lte=STOCK_MAX - add).update(
        stock=F("stock") + add, updated_at=clock.now()
    )
    if not moved:
        raise ValidationError({"add": [_("At most %(max)d items in stock.") % {"max": STOCK_MAX}]})
    reward.refresh_from_db()
    _audit(actor, "rewards.reward_restock", reward, ("stock",))
    return reward


@transaction.atomic
def reward_retire(*, actor: Actor, reward: Reward, active: bool = False) -> Reward:
    """Take a reward out of the catalogue (no new redemptions; issued vouchers still count),
    or put it back with `active=True`."""
    access.require(actor, Perm.REWARDS_MANAGE, reward.area_path)
    Reward.objects.filter(pk=reward.pk).update(active=active, updated_at=clock.now())
    reward.refresh_from_db()
    _audit(actor, "rewards.reward_retire" if not active else "rewards.reward_restore", reward)
    return reward


# --- redemption --------------------------------------------------------------------------


def _refusal(field: str, message: str, code: str) -> ValidationError:
    """A field's refusal with a code that callers and tests can tell apart in any language."""
    return ValidationError({field: [ValidationError(message, code=code)]})


def _stock_refusal(reward_id: int) -> ValidationError:
    still = Reward.objects.filter(pk=reward_id).values_list("active", flat=True).first()
    if not still:
        return _refusal(
            "reward", _("This reward has been withdrawn from the catalogue."), "inactive"
        )
    return _refusal(
        "reward", _("Out of stock: none of this reward is left to redeem."), "out_of_stock"
    )


@transaction.atomic
def redeem(*, actor: User, reward: Reward | int, holder: User | None = None) -> Redemption:
    """Redeem one item of `reward` with the points of `holder` (default: the actor; else a
    person the actor acts for). Returns the redemption with its voucher code.

    Refused (ValidationError naming the field, nothing written): the reward withdrawn or
    out of stock ("reward"), the holder outside the reward's community ("reward"), the
    balance short of the price ("points")."""
    reward_id = reward.pk if isinstance(reward, Reward) else int(reward)
    current = Reward.objects.filter(pk=reward_id).first()
    if current is None:
        raise NotFound()
    holder = holder_for(actor=actor, holder=holder)
    if not belongs_to(holder, current.area_path):
        raise _refusal(
            "reward", _("This reward is for the residents of another community."), "outside"
        )
    if not current.active:
        raise _stock_refusal(reward_id)
    # 1. One item, if one is left: a conditional UPDATE (a row lock on PostgreSQL).
    taken = Reward.objects.filter(pk=reward_id, active=True, stock__gte=1).update(
        stock=F("stock") - 1
    )
    if not taken:
        raise _stock_refusal(reward_id)
    # The price now: the row is ours until commit (a repricing waits for it).
    price = Reward.objects.filter(pk=reward_id).values_list("price", flat=True).get()
    # 2. The redemption with a fresh voucher code (a clash retries in a savepoint).
    redemption = None
    for _attempt in range(5):
        try:
            with transaction.atomic():
                redemption = Redemption.objects.create(
                    reward_id=reward_id,
                    holder=holder,
                    redeemed_by=actor,
                    points=price,
                    voucher=voucher_new(),
                    area_path=current.area_path,
                )
            break
        except IntegrityError:
            continue
    if redemption is None:
        raise Conflict()
    # 3. The debit: refused below zero, which rolls back 1 and 2 with it.
    try:
        entry, _created = ledger.entry_post(
            holder=holder,
            kind=EntryKind.REDEMPTION,
            points=-price,
            source=f"redemption:{redemption.pk}",
            reason=f"reward:{reward_id}",
            created_by=actor,
        )
    except ValidationError:
        message = _(
            "Not enough points: this reward costs %(price)d points and the balance may not "
            "go below zero."
        ) % {"price": price}
        raise _refusal("points", message, "not_enough_points") from None
    Redemption.objects.filter(pk=redemption.pk).update(entry=entry)
    redemption.entry = entry
    return redemption


@transaction.atomic
def redemption_cancel(*, actor: User, redemption: Redemption | int) -> Redemption:
    """Cancel a voucher not yet handed over: the item goes back into stock and the points
    back to the holder (a reversal entry), once. By the holder, their proxy, or staff who
    keep the catalogue."""
    pk = redemption.pk if isinstance(redemption, Redemption) else int(redemption)
    locked = Redemption.objects.select_for_update(of=("self",)).filter(pk=pk).first()
    if locked is None:
        raise NotFound()
    own = locked.holder_id == actor.pk or (
        locked.holder.person_id and proxy_link_for(actor, locked.holder.person_id) is not None
    )
    if not own:
        access.require(actor, Perm.REWARDS_MANAGE, locked.area_path)
    if locked.status == RedemptionStatus.HANDED_OVER:
        raise _refusal(
            "voucher",
            _("This voucher has been handed over: it can no longer be cancelled."),
            "handed_over",
        )
    if locked.status == RedemptionStatus.CANCELLED:
        raise _refusal("voucher", _("This voucher is already cancelled."), "cancelled")
    assert locked.entry is not None  # set in redeem's transaction
    ledger.entry_reverse(entry=locked.entry, reason="voucher cancelled", actor=actor)
    Reward.objects.filter(pk=locked.reward_id).update(stock=F("stock") + 1)
    locked.status = RedemptionStatus.CANCELLED
    locked.save(update_fields=["status", "updated_at"])
    _audit(actor, "rewards.voucher_cancel", locked)
    return locked


# --- the exchange point -------------------------------------------------------------------


class TooManyWrongVouchers(DomainError):
    code = "throttled"
    status = 429
    default_message = gettext_lazy(
        "Too many wrong voucher codes in a short time: lookups are paused for a while. "
        "Check the code with the resident and try again later."
    )


class VoucherMisses(SimpleRateThrottle):
    """Wrong codes typed by one staff member: a sliding window in Django's cache (ninja's
    throttle, as for exact searches), counted only on a miss."""

    def __init__(self, user_id: int):
        self.user_id = user_id
        super().__init__(
            rate=getattr(settings, "GONGZHI_RATE_VOUCHER_MISS", "") or DEFAULT_VOUCHER_MISS_RATE
        )

    def get_cache_key(self, request: Any) -> str:
        return f"gongzhi_voucher_miss_{self.user_id}"

    def blocked(self) -> bool:
        """Past the limit now? (Reads the window without counting.)"""
        since = time.time() - (self.duration or 0)  # the clock ninja's throttle keeps
        history = [t for t in self.cache.get(self.get_cache_key(None), []) if t > since]
        return len(history) >= (self.num_requests or 0)

    def miss(self) -> None:
        self.allow_request(None)  # type: ignore[arg-type]  # get_cache_key reads no request


def _voucher_refused() -> ValidationError:
    return _refusal("code", _("No voucher of your community has this code."), "unknown_voucher")


def _lookups_allowed(actor: User) -> VoucherMisses:
    """Refuse (and audit) a staff member past the limit of wrong codes; their window."""
    if not access.can(actor, Perm.REWARDS_HAND_OUT):
        raise NotFound()
    misses = VoucherMisses(actor.pk)
    if misses.blocked():
        audit_record(actor=actor, action="rewards.voucher_lookup_refused",
                     object_type="points.redemption", fields=["voucher"])  # fmt: skip
        raise TooManyWrongVouchers()
    return misses


def _voucher_lookup(*, actor: User, code: str, misses: VoucherMisses, lock: bool) -> Redemption:
    normalised = voucher_normalise(code)
    if not normalised:
        raise ValidationError({"code": [_("Scan the voucher's QR code or type its code.")]})
    rows = Redemption.objects.select_related("reward", "holder")
    if lock:
        rows = rows.select_for_update(of=("self",))
    found = rows.filter(voucher=normalised).first()
    if found is None or not access.overlaps(actor, Perm.REWARDS_HAND_OUT, found.area_path):
        misses.miss()
        raise _voucher_refused()
    return found


def voucher_find(*, actor: User, code: str) -> Redemption:
    """The voucher with this code in a community where the staff member hands rewards out.
    A code that matches none (or one of another community) is the same refusal, counted
    against the staff member's window of wrong codes; past it, lookups are refused."""
    misses = _lookups_allowed(actor)
    return _voucher_lookup(actor=actor, code=code, misses=misses, lock=False)


def voucher_hand_over(*, actor: User, code: str) -> Redemption:
    """Hand the reward of a scanned or typed voucher over (rewards.hand_out in the
    reward's community): once; never for a cancelled voucher. Audited. (The refusal of a
    staff member past the limit is audited outside the hand-over's transaction.)"""
    misses = _lookups_allowed(actor)
    with transaction.atomic():
        found = _voucher_lookup(actor=actor, code=code, misses=misses, lock=True)
        if found.status == RedemptionStatus.HANDED_OVER:
            when = timezone.localtime(found.handed_over_at) if found.handed_over_at else None
            message = _("This voucher was already handed over on %(when)s.") % {
                "when": f"{when:%Y-%m-%d %H:%M}" if when else ""
            }
            raise _refusal("code", message, "handed_over")
        if found.status == RedemptionStatus.CANCELLED:
            message = _("This voucher was cancelled: the points went back to the holder.")
            raise _refusal("code", message, "cancelled")
        found.status = RedemptionStatus.HANDED_OVER
        found.handed_over_by = actor
        found.handed_over_at = clock.now()
        found.save(update_fields=["status", "handed_over_by", "handed_over_at", "updated_at"])
        _audit(actor, "rewards.hand_over", found)
        return found
