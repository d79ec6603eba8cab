"""Corrections of the ledger by staff: manual adjustments (four eyes) and reversals.

- **Adjustment**: someone holding `points.adjust` where the holder's points count proposes
  points (±) and/or hours with a reason (required); another `points.adjust` holder there
  approves — never the proposer, never the holder — and only then is the entry posted
  (kind adjustment, source "adjustment:<id>", created_by the proposer, approved_by the
  approver). A refusal posts nothing. Both steps are audited.
- **Reversal**: `points.adjust` staff where the award was counted undo an award with a
  reason: a new entry of the opposite sign (`ledger.entry_reverse`), refused when the
  holder has already spent the points (the balance never goes below zero).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.models import User
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden, IllegalTransition, NotFound
from gongzhi.core.masking import mask_text
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.points import ledger
from gongzhi.points.models import (
    REASON_MAX,
    Adjustment,
    AdjustmentStatus,
    EntryKind,
    LedgerEntry,
)

POINTS_LIMIT = 100_000  # one adjustment moves at most this many points either way
HOURS_LIMIT = Decimal("1000")


def _amounts(errors: dict[str, list[Any]], points: Any, hours: Any) -> tuple[int, Decimal]:
    try:
        points_value = int(points)
    except (TypeError, ValueError):
        errors.setdefault("points", []).append(_("Enter a whole number of points."))
        points_value = 0
    else:
        if abs(points_value) > POINTS_LIMIT:
            errors.setdefault("points", []).append(
                _("At most %(limit)d points either way.") % {"limit": POINTS_LIMIT}
            )
    try:
        hours_value = Decimal(str(hours if hours not in (None, "") else 0))
    except InvalidOperation:
        errors.setdefault("hours", []).append(_("Enter hours as a number, e.g. 1.5."))
        hours_value = Decimal(0)
    else:
        if not hours_value.is_finite() or abs(hours_value) > HOURS_LIMIT:
            errors.setdefault("hours", []).append(_("At most 1000 hours either way."))
            hours_value = Decimal(0)
        elif hours_value != hours_value.quantize(Decimal("0.1")):
            errors.setdefault("hours", []).append(_("Hours in tenths at most (e.g. 1.5)."))
    if "points" not in errors and "hours" not in errors and not points_value and not hours_value:
        errors.setdefault("points", []).append(_("An adjustment moves points or hours."))
    return points_value, hours_value


@transaction.atomic
def adjustment_propose(
    *, actor: User, holder: User, points: Any, reason: str, hours: Any = 0
) -> Adjustment:
    """Propose an adjustment of `holder`'s points. NotFound when the actor may not adjust
    where the holder's points count; ValidationError naming the field otherwise."""
    place = ledger.home_path_of(holder)
    if not place or not access.can(actor, Perm.POINTS_ADJUST, place):
        raise NotFound()
    if holder.pk == actor.pk:
        raise Forbidden(_("Nobody adjusts their own points."))
    errors: dict[str, list[Any]] = {}
    points_value, hours_value = _amounts(errors, points, hours)
    # The reason is copied into the ledger, where no personal value goes: any ID or mobile
    # number typed into it is kept masked.
    reason = mask_text(text_field(errors, "reason", reason, REASON_MAX, required=True))
    raise_errors(errors)
    adjustment = Adjustment.objects.create(
        holder=holder,
        points=points_value,
        hours=hours_value,
        reason=reason,
        proposed_by=actor,
        area_path=place,
    )
    audit_record(
        actor=actor,
        action="points.adjustment_propose",
        obj=adjustment,
        object_label=f"adjustment {adjustment.pk}",
        area_path=place,
        fields=["points", "hours", "reason"],
    )
    return adjustment


def adjustment_decide(*, actor: User, adjustment: Adjustment | int, approve: bool) -> Adjustment:
    """Approve (post the entry) or refuse a proposed adjustment. NotFound outside the
    actor's area; Forbidden for the proposer or the holder; IllegalTransition once decided;
    ValidationError when the debit would take the balance below zero (nothing written)."""
    adjustment_id = adjustment.pk if isinstance(adjustment, Adjustment) else int(adjustment)
    with transaction.atomic():
        locked = Adjustment.objects.select_for_update(of=("self",)).filter(pk=adjustment_id).first()
        if locked is None or not access.can(actor, Perm.POINTS_ADJUST, locked.area_path):
            raise NotFound()
        if actor.pk == locked.proposed_by_id:
            raise Forbidden(
                _("Another person approves an adjustment, never the one who proposed it.")
            )
        if actor.pk == locked.holder_id:
            raise Forbidden(_("Nobody decides on an adjustment of their own points."))
        if locked.status != AdjustmentStatus.PROPOSED:
            raise IllegalTransition(_("This adjustment has already been decided."))
        if approve:
            entry, _created = ledger.entry_post(
                holder=locked.holder,
                kind=EntryKind.ADJUSTMENT,
                points=locked.points,
                hours=locked.hours,
                source=f"adjustment:{locked.pk}",
                reason=locked.reason,
                created_by=locked.proposed_by,
                approved_by=actor,
            )
            locked.entry = entry
        locked.status = AdjustmentStatus.APPROVED if approve else AdjustmentStatus.REFUSED
        locked.decided_by = actor
        locked.decided_at = clock.now()
        locked.save(update_fields=["status", "decided_by", "decided_at", "entry", "updated_at"])
        audit_record(
            actor=actor,
            action="points.adjustment_approve" if approve else "points.adjustment_refuse",
            obj=locked,
            object_label=f"adjustment {locked.pk}",
            area_path=locked.area_path,
            fields=["status"],
        )
    return locked


def adjustment_get_for(*, user: User, adjustment_id: int) -> Adjustment:
    found = (
        Adjustment.objects.restrict(user, Perm.POINTS_ADJUST)
        .filter(pk=adjustment_id)
        .select_related("holder", "proposed_by")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def adjustments_for(*, user: User) -> Any:
    """Adjustments in the user's area, those waiting for a decision first."""
    return (
        Adjustment.objects.restrict(user, Perm.POINTS_ADJUST)
        .select_related("holder", "proposed_by", "decided_by")
        .order_by("-status", "-created_at", "-pk")
    )


def award_reverse(*, actor: User, entry: LedgerEntry | int, reason: str) -> LedgerEntry:
    """Undo an award by a new opposite entry (once). NotFound outside the actor's area;
    ValidationError naming the field for a missing reason, an entry that is not an award,
    or points already spent."""
    entry_id = entry.pk if isinstance(entry, LedgerEntry) else int(entry)
    with transaction.atomic():
        found = LedgerEntry.objects.filter(pk=entry_id).select_related("holder").first()
        if found is None or not access.can(actor, Perm.POINTS_ADJUST, found.area_path):
            raise NotFound()
        if found.holder_id == actor.pk:
            raise Forbidden(_("Nobody reverses their own points."))
        errors: dict[str, list[Any]] = {}
        reason = mask_text(text_field(errors, "reason", reason, REASON_MAX, required=True))
        if found.kind != EntryKind.AWARD:
            errors.setdefault("entry", []).append(_("Only an award can be reversed."))
        elif LedgerEntry.objects.filter(reverses=found).exists():
            errors.setdefault("entry", []).append(_("This award has already been reversed."))
        raise_errors(errors)
        try:
            reversal, _created = ledger.entry_reverse(entry=found, reason=reason, actor=actor)
        except ValidationError:
            raise ValidationError(
                {
                    "points": [
                        _(
                            "The holder has already spent these points: reversing the award "
                            "would take the balance below zero."
                        )
                    ]
                }
            ) from None
        audit_record(
            actor=actor,
            action="points.reverse",
            obj=found,
            object_type="points.ledgerentry",
            object_label=f"ledger entry {found.pk}",
            area_path=found.area_path,
            fields=["points", "hours"],
            purpose=f"reversal entry {reversal.pk}",
        )
    return reversal
