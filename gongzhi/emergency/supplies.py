"""Supplies (物资): the stores of a community and its grids, their items and movements.

- An **item** (`SupplyItem`) is one stock line of a store; a store is an area, the
  community or one of its grids. Name and unit are unique in a store. Staff holding
  `emergency.supply` on the item's area create and edit it.
- A **movement** (`StockMovement`) is append-only and the only way an item's quantity
  changes: in, out, expiry, a stock count (a correction to a new absolute quantity, with a
  note saying why), or a transfer to the same item (same name and unit) in another store
  of the actor's: two movements linked by `counterpart`, in one transaction. The item's
  row is locked while it moves (both rows of a transfer, in id order, so two opposite
  transfers never deadlock); the quantity never goes below zero and always equals the sum
  of the item's deltas; each movement records the balance after it.
- **Warnings**: items below their minimum, items expiring within a week; the daily job
  notifies the community's supply managers once a day.

Audit entries name items and movements by number only (a note is free text: never audited).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, scope
from gongzhi.core.validation import Errors, raise_errors, text_field
from gongzhi.emergency.models import MovementKind, Space, StockMovement, SupplyItem
from gongzhi.registry.areas import community_of
from gongzhi.registry.models import Area, AreaKind

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

NAME_MAX = 60
UNIT_MAX = 10
CATEGORY_MAX = 30
NOTE_MAX = 200
QUANTITY_MAX = 1_000_000
EXPIRING_DAYS = 7
STORE_AREA_KINDS = (AreaKind.COMMUNITY, AreaKind.GRID)

# What a user asks for; a transfer is written as a transfer_out and a transfer_in.
MOVE_IN, MOVE_OUT, MOVE_TRANSFER, MOVE_EXPIRY, MOVE_COUNT = (
    "in", "out", "transfer", "expiry", "count",
)  # fmt: skip
MOVE_KINDS = (MOVE_IN, MOVE_OUT, MOVE_TRANSFER, MOVE_EXPIRY, MOVE_COUNT)
# The sign each kind gives its quantity (a count sets the quantity instead).
_SIGN = {MOVE_IN: 1, MOVE_OUT: -1, MOVE_EXPIRY: -1, MOVE_TRANSFER: -1}


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _label(obj: Any) -> str:
    return f"#{obj.pk}"


def _whole(value: Any) -> int | None:
    """An int (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


# --- items ---------------------------------------------------------------------------------


def _check_item(
    errors: Errors,
    *,
    area: Area,
    name: Any,
    unit: Any,
    category: Any,
    minimum: Any,
    expires_on: Any,
    space: Space | None,
    exclude_pk: int | None = None,
) -> dict[str, Any]:
    name = text_field(errors, "name", name, NAME_MAX, required=True, one_line=True)
    unit = text_field(errors, "unit", unit, UNIT_MAX, required=True, one_line=True)
    category = text_field(errors, "category", category, CATEGORY_MAX, one_line=True)
    count = _whole(minimum)
    if count is None or count < 0:
        _add(errors, "minimum", _("The minimum level is a whole number, 0 or more."))
    elif count > QUANTITY_MAX:
        _add(errors, "minimum", _("At most %(max)d.") % {"max": QUANTITY_MAX})
    if expires_on is not None and not isinstance(expires_on, dt.date):
        _add(errors, "expires_on", _("Enter a date."))
    if space is not None and not scope.within(space.area_path, [_community_path(area)]):
        _add(errors, "space", _("Choose a space of this community."))
    if name and unit and "name" not in errors and "unit" not in errors:
        same = SupplyItem.objects.filter(area=area, name=name, unit=unit)
        if exclude_pk is not None:
            same = same.exclude(pk=exclude_pk)
        if same.exists():
            _add(
                errors,
                "name",
                _("This store already has %(name)s counted in %(unit)s.")
                % {"name": name, "unit": unit},
            )
    return {
        "name": name,
        "unit": unit,
        "category": category,
        "minimum": count,
        "expires_on": expires_on,
        "space": space,
    }


def _community_path(area: Area) -> str:
    community = community_of(area)
    return community.path if community is not None else area.path


@transaction.atomic
def item_create(
    *,
    actor: Actor,
    area: Area,
    name: str,
    unit: str,
    category: str = "",
    minimum: int = 0,
    expires_on: dt.date | None = None,
    space: Space | None = None,
) -> SupplyItem:
    """A new stock line (quantity 0: stock arrives through an "in" movement) in the store
    of `area`, a community or a grid inside one."""
    access.require(actor, Perm.SUPPLY_MANAGE, area.path)
    errors: Errors = {}
    if area.kind not in STORE_AREA_KINDS or area.closed_at is not None:
        _add(errors, "area", _("Choose an open community or grid."))
    data = _check_item(
        errors, area=area, name=name, unit=unit, category=category, minimum=minimum,
        expires_on=expires_on, space=space,
    )  # fmt: skip
    raise_errors(errors)
    item = SupplyItem.objects.create(area=area, area_path=area.path, quantity=0, **data)
    audit_record(
        actor=actor,
        action="supply.item_create",
        obj=item,
        object_label=_label(item),
        area_path=item.area_path,
        fields=sorted(data),
    )
    return item


def _locked(pk: int) -> SupplyItem:
    return SupplyItem.objects.select_for_update(of=("self",)).get(pk=pk)


@transaction.atomic
def item_update(
    *,
    actor: Actor,
    item: SupplyItem,
    name: str,
    unit: str,
    category: str = "",
    minimum: int = 0,
    expires_on: dt.date | None = None,
    space: Space | None = None,
) -> SupplyItem:
    """Change an item's name, unit, category, minimum level, expiry date or space (its
    quantity changes only through movements)."""
    access.require(actor, Perm.SUPPLY_MANAGE, item.area_path)
    item = _locked(item.pk)
    area = Area.objects.get(pk=item.area_id)
    errors: Errors = {}
    data = _check_item(
        errors, area=area, name=name, unit=unit, category=category, minimum=minimum,
        expires_on=expires_on, space=space, exclude_pk=item.pk,
    )  # fmt: skip
    raise_errors(errors)
    changed = [f for f, v in data.items() if getattr(item, f) != v]
    for field, value in data.items():
        setattr(item, field, value)
    item.save()
    audit_record(
        actor=actor,
        action="supply.item_update",
        obj=item,
        object_label=_label(item),
        area_path=item.area_path,
        fields=changed,
    )
    return item


# --- movements -----------------------------------------------------------------------------


def _check_move(
    actor: Actor, item: SupplyItem, kind: Any, quantity: Any, note: Any, to_item: Any
) -> tuple[int, str]:
    errors: Errors = {}
    if kind not in MOVE_KINDS:
        _add(errors, "kind", _("Choose in, out, transfer, expiry or stock count."))
    count = _whole(quantity)
    least = 0 if kind == MOVE_COUNT else 1
    if count is None or count < least:
        if kind == MOVE_COUNT:
            _add(errors, "quantity", _("The counted quantity is a whole number, 0 or more."))
        else:
            _add(errors, "quantity", _("The quantity is a whole number, at least 1."))
    elif count > QUANTITY_MAX:
        _add(errors, "quantity", _("At most %(max)d.") % {"max": QUANTITY_MAX})
    note = text_field(errors, "note", note, NOTE_MAX, required=kind == MOVE_COUNT, one_line=True)
    if kind == MOVE_TRANSFER:
        if to_item is None:
            _add(errors, "to_item", _("Choose the store to transfer to."))
        elif to_item.pk == item.pk:
            _add(errors, "to_item", _("Choose another store than this one."))
        elif (to_item.name, to_item.unit) != (item.name, item.unit):
            _add(errors, "to_item", _("Transfer to the same item, in the same unit."))
        elif actor is not None and not access.can(actor, Perm.SUPPLY_MANAGE, to_item.area_path):
            _add(errors, "to_item", _("No such record in your area."))
    elif to_item is not None:
        _add(errors, "to_item", _("Only a transfer names another store."))
    raise_errors(errors)
    assert count is not None
    return count, note


def _short(item: SupplyItem) -> ValidationError:
    return ValidationError(
        {
            "quantity": [
                _("Not enough in stock: %(quantity)d%(unit)s on hand.")
                % {"quantity": item.quantity, "unit": item.unit}
            ]
        }
    )


def _write(
    actor: Actor, item: SupplyItem, kind: str, delta: int, note: str, at: dt.datetime
) -> StockMovement:
    item.quantity += delta
    item.save(update_fields=["quantity", "updated_at"])
    return StockMovement.objects.create(
        item=item, kind=kind, delta=delta, balance_after=item.quantity, note=note, by=actor, at=at
    )


@transaction.atomic
def stock_move(
    *,
    actor: Actor,
    item: SupplyItem,
    kind: str,
    quantity: int,
    note: str = "",
    to_item: SupplyItem | None = None,
) -> StockMovement:
    """Move stock of `item`: `kind` "in", "out", "expiry", "count" (`quantity` is then the
    counted stock, and `note` is required) or "transfer" (to `to_item`, the same item in
    another store of the actor's). The movement on `item` is returned (for a transfer, the
    transfer out; its `counterpart` is the transfer in). Nothing is written when refused."""
    access.require(actor, Perm.SUPPLY_MANAGE, item.area_path)
    count, note = _check_move(actor, item, kind, quantity, note, to_item)
    # Lock in id order: two opposite transfers between the same stores take turns.
    ids = sorted({item.pk} | ({to_item.pk} if to_item is not None else set()))
    rows = {pk: _locked(pk) for pk in ids}
    source = rows[item.pk]
    if to_item is not None and (rows[to_item.pk].name, rows[to_item.pk].unit) != (
        source.name,
        source.unit,
    ):  # renamed since it was chosen
        raise ValidationError({"to_item": [_("Transfer to the same item, in the same unit.")]})
    delta = count - source.quantity if kind == MOVE_COUNT else _SIGN[kind] * count
    if source.quantity + delta < 0:
        raise _short(source)
    at = clock.now()
    if kind == MOVE_TRANSFER:
        assert to_item is not None
        target = rows[to_item.pk]
        out = _write(actor, source, MovementKind.TRANSFER_OUT, delta, note, at)
        into = _write(actor, target, MovementKind.TRANSFER_IN, count, note, at)
        into.counterpart = out
        into.save(update_fields=["counterpart", "updated_at"])
        out.counterpart = into
        out.save(update_fields=["counterpart", "updated_at"])
        for movement, store in ((out, source), (into, target)):
            audit_record(
                actor=actor,
                action="supply.transfer",
                obj=movement,
                object_label=_label(store),
                area_path=store.area_path,
                fields=["quantity", "counterpart"],
            )
        return out
    movement = _write(actor, source, kind, delta, note, at)
    audit_record(
        actor=actor,
        action=f"supply.{kind}",
        obj=movement,
        object_label=_label(source),
        area_path=source.area_path,
        fields=["quantity", "note"] if note else ["quantity"],
    )
    return movement


# --- warnings ------------------------------------------------------------------------------


def items_below_minimum(paths: list[str] | tuple[str, ...]) -> QuerySet[SupplyItem]:
    """Items in the subtrees of `paths` whose stock is below their (non-zero) minimum."""
    return SupplyItem.objects.within(*paths).filter(minimum__gt=0, quantity__lt=F("minimum"))


def items_expiring(
    paths: list[str] | tuple[str, ...], days: int = EXPIRING_DAYS, *, today: dt.date | None = None
) -> QuerySet[SupplyItem]:
    """Items in stock in the subtrees of `paths` that expire within `days` (or have
    expired already)."""
    until = (today or clock.today()) + dt.timedelta(days=days)
    return SupplyItem.objects.within(*paths).filter(quantity__gt=0, expires_on__lte=until)


def items_warning(paths: list[str] | tuple[str, ...]) -> QuerySet[SupplyItem]:
    """Below minimum or expiring: what the supplies page flags and the workbench counts."""
    until = clock.today() + dt.timedelta(days=EXPIRING_DAYS)
    return SupplyItem.objects.within(*paths).filter(
        Q(minimum__gt=0, quantity__lt=F("minimum")) | Q(quantity__gt=0, expires_on__lte=until)
    )


WARNING_KIND = "emergency.supplies_warning"


@transaction.atomic
def warnings_notify(*, today: dt.date | None = None) -> int:
    """Tell each community's supply managers, in their inbox, how many of its items are
    below minimum or expiring: once a day (a second run the same day sends nothing). The
    number of notifications made."""
    from gongzhi.notifications.models import Notification
    from gongzhi.notifications.services import notify

    today = today or clock.today()
    communities = {a.path: a for a in Area.objects.filter(kind=AreaKind.COMMUNITY, closed_at=None)}
    below: dict[str, int] = {}
    expiring: dict[str, int] = {}
    if not communities:
        return 0
    paths = list(communities)
    found = ((below, items_below_minimum(paths)), (expiring, items_expiring(paths, today=today)))
    for counts, rows in found:
        for path in rows.values_list("area_path", flat=True):
            for above in scope.ancestors(path, inclusive=True):
                if above in communities:
                    counts[above] = counts.get(above, 0) + 1
                    break
    made = 0
    # Sent today by the clock that stamps `created_at` (the database's, not `clock`'s).
    start = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
    for path in sorted(set(below) | set(expiring)):
        community = communities[path]
        sent = Notification.objects.filter(
            kind=WARNING_KIND,
            object_type="registry.area",
            object_id=str(community.pk),
            created_at__gte=start,
            created_at__lt=start + dt.timedelta(days=1),
        ).values_list("recipient_id", flat=True)
        already = set(sent)
        recipients = [
            m.user
            for m in access.holders(Perm.SUPPLY_MANAGE, path, nearest=False)
            if m.user_id not in already
        ]
        if not recipients:
            continue
        title = _("Supplies of %(community)s need attention") % {"community": community.name}
        body = _(
            "%(below)d items below their minimum level, %(expiring)d expiring within a week."
        ) % {
            "below": below.get(path, 0),
            "expiring": expiring.get(path, 0),
        }
        made += len(
            notify(
                recipients=recipients,
                kind=WARNING_KIND,
                title=title,
                body=body,
                url=reverse("emergency_supplies:index"),
                obj=community,
            )
        )
    return made


@task()
def warnings_notify_task() -> int:
    """Periodic (daily): the supply warnings (safe to run twice: once a day per person)."""
    return warnings_notify()
