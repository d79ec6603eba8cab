"""Lockdown supply runs (封控期间的代购配送): residents' shopping lists, volunteers' runs.

Each part reuses the work-order loop rather than a loop of its own:

- **A shopping list** is filed as its own work order of category "delivery" through
  `workorders.filing.workorder_create`, by the resident for their own record or — acting
  through a confirmed proxy link — for a parent (then `by_proxy`). The person served is the
  order's person, so only they (or their proxy) rate it (`workorders.policy.is_served`).
- **A run** (`SupplyRun`) is a work order of the same category about the area the volunteer
  chose, filed by the system. Taking lists into a run offers the run's order and every
  list's order to the volunteer (a system dispatch) and the volunteer accepts them: the
  resident is told someone will help, and the volunteer is the orders' assignee.
- **Delivering a list** starts and resolves its order (`workorder_transition`): the resident
  is told it is done and asked to rate; `points.awards` credits the volunteer a tenth of an
  hour per list and, for a rating of 4–5, the rating's points. The run's order was started
  when the run was made and is resolved when its last list is delivered: the run's real
  time (capped as every order's) is the volunteer's service hours.
- **Receipt** is the resident's: it marks the list received and, with stars, rates its order.

Lists carry `retain_until` (kind "emergency"); switching back to normal sets the sunset.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, scope
from gongzhi.core.errors import Forbidden, IllegalTransition, NotFound
from gongzhi.core.validation import CONTROL, raise_errors, text_field
from gongzhi.emergency.models import (
    ShoppingItem,
    ShoppingList,
    ShoppingStatus,
    SupplyRun,
    SupplyRunStatus,
)
from gongzhi.emergency.modes import mode_of
from gongzhi.health import sunset
from gongzhi.registry.models import Area, AreaKind, Person
from gongzhi.workorders import filing, policy
from gongzhi.workorders.models import Category, Channel, WorkOrder
from gongzhi.workorders.rules import proxy_purpose
from gongzhi.workorders.services import workorder_transition
from gongzhi.workorders.states import Action, Status

if TYPE_CHECKING:
    from gongzhi.accounts.models import User
    from gongzhi.accounts.types import Actor

CATEGORY_CODE = "delivery"
MAX_ITEMS = 20  # lines on one list
NAME_MAX = 40
UNIT_MAX = 10
QUANTITY_MIN, QUANTITY_MAX = 1, 99
NOTE_MAX = 200
DEFAULT_UNIT = "份"
RUN_BUILDINGS_MAX = 50  # buildings taken into one run

# The picker's common items (name, unit); residents may type anything else.
COMMON_ITEMS: tuple[tuple[str, str], ...] = (
    ("大米", "袋"),
    ("面粉", "袋"),
    ("挂面", "包"),
    ("食用油", "桶"),
    ("鸡蛋", "斤"),
    ("猪肉", "斤"),
    ("青菜", "斤"),
    ("土豆", "斤"),
    ("西红柿", "斤"),
    ("牛奶", "箱"),
    ("方便面", "箱"),
    ("卫生纸", "提"),
    ("洗手液", "瓶"),
    ("退烧药", "盒"),
)

CLOSED_MESSAGE = gettext_lazy(
    "Shopping lists are open only while your community is in emergency mode."
)


@dataclass(frozen=True)
class ItemIn:
    name: str
    quantity: Any
    unit: str = DEFAULT_UNIT


def normalise(text: Any) -> str:
    """An item's name or unit as lists merge it: width-folded (全角 → 半角, NFKC),
    trimmed, every run of spaces one space."""
    folded = unicodedata.normalize("NFKC", "" if text is None else str(text))
    return " ".join(folded.split())


def delivery_category() -> Category:
    try:
        return Category.objects.get(code=CATEGORY_CODE)
    except Category.DoesNotExist:
        raise ValidationError(
            {"category": [_("The supply-delivery category is missing: run the migrations.")]}
        ) from None


def _clean_items(errors: dict[str, list[str]], items: Iterable[Any]) -> list[ItemIn]:
    """The list's lines, normalised, equal lines (name and unit) added up; problems under
    the field "items" naming the line and the rule. Nothing is written when one is wrong."""
    merged: dict[tuple[str, str], int] = {}
    rows = list(items)
    if not rows:
        errors.setdefault("items", []).append(_("Add at least one item."))
    for number, raw in enumerate(rows, start=1):
        if isinstance(raw, Mapping):
            raw = ItemIn(raw.get("name", ""), raw.get("quantity"), raw.get("unit") or "")
        name = normalise(raw.name)
        unit = normalise(raw.unit) or DEFAULT_UNIT
        problems: list[str] = []
        if not name:
            problems.append(_("Item %(n)d: write what to buy.") % {"n": number})
        elif len(name) > NAME_MAX:
            problems.append(
                _("Item %(n)d: a name has at most %(max)d characters.")
                % {"n": number, "max": NAME_MAX}
            )
        if CONTROL.search(name) or CONTROL.search(unit):
            problems.append(_("Item %(n)d: control characters are not allowed.") % {"n": number})
        if len(unit) > UNIT_MAX:
            problems.append(
                _("Item %(n)d: a unit has at most %(max)d characters.")
                % {"n": number, "max": UNIT_MAX}
            )
        try:
            quantity = int(str(raw.quantity).strip()) if not isinstance(raw.quantity, bool) else 0
        except (TypeError, ValueError):
            quantity = 0
        if not QUANTITY_MIN <= quantity <= QUANTITY_MAX:
            problems.append(
                _("Item %(n)d: the quantity is a whole number from %(min)d to %(max)d.")
                % {"n": number, "min": QUANTITY_MIN, "max": QUANTITY_MAX}
            )
        if problems:
            errors.setdefault("items", []).extend(problems)
            continue
        merged[(name, unit)] = merged.get((name, unit), 0) + quantity
    if len(merged) > MAX_ITEMS:
        errors.setdefault("items", []).append(
            _("At most %(max)d items on one list; this has %(count)d.")
            % {"max": MAX_ITEMS, "count": len(merged)}
        )
    for (name, _unit), quantity in merged.items():
        if quantity > QUANTITY_MAX:
            errors.setdefault("items", []).append(
                _("“%(name)s”: at most %(max)d in all.") % {"name": name, "max": QUANTITY_MAX}
            )
    return [ItemIn(name, quantity, unit) for (name, unit), quantity in merged.items()]


def _summary(items: Sequence[ItemIn]) -> str:
    lines = "、".join(f"{i.name}×{i.quantity}{i.unit}" for i in items)
    return _("Shopping list: %(items)s") % {"items": lines}


def _proxy_purpose(person: Person) -> str:
    """As the work orders say it (ids only): "proxy for person 12"."""
    return proxy_purpose(Channel.PROXY, person)


# --- the resident's writes --------------------------------------------------------------------


@transaction.atomic
def shopping_list_post(
    *, actor: Actor, person: Person, items: Iterable[Any], note: str = ""
) -> ShoppingList:
    """A resident's list for their own household, or — acting for a parent — the parent's
    household (`by_proxy`). Open only while the community is in emergency mode."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Forbidden()
    if person.pk not in policy.acting_person_ids(actor):
        raise ValidationError(
            {
                "person": [
                    _(
                        "You may post a shopping list only for your own household or for "
                        "someone you act for."
                    )
                ]
            }
        )
    household = person.household
    building = household.building
    if not mode_of(building.path).emergency:
        raise ValidationError({"community": [str(CLOSED_MESSAGE)]})
    errors: dict[str, list[str]] = {}
    cleaned = _clean_items(errors, items)
    note = text_field(errors, "note", note, NOTE_MAX, one_line=True)
    raise_errors(errors)
    order = filing.workorder_create(
        actor=actor,
        category=delivery_category(),
        description=_summary(cleaned) + (f"\n{note}" if note else ""),
        person=person,
    )
    now = clock.now()
    by_proxy = person.pk != getattr(actor, "person_id", None)
    shopping_list = ShoppingList.objects.create(
        household=household,
        person=person,
        area_path=building.path,
        submitted_by=actor,
        by_proxy=by_proxy,
        status=ShoppingStatus.OPEN,
        note=note,
        workorder=order,
        retain_until=sunset.retain_until("emergency", now),
    )
    ShoppingItem.objects.bulk_create(
        ShoppingItem(shopping_list=shopping_list, name=i.name, unit=i.unit, quantity=i.quantity)
        for i in cleaned
    )
    audit_record(
        actor=actor,
        action="shopping.list_post",
        obj=shopping_list,
        area_path=shopping_list.area_path,
        fields=["items", "note"] if note else ["items"],
        purpose=_proxy_purpose(person) if by_proxy else "",
    )
    return shopping_list


def _lock_own(actor: Actor, shopping_list: ShoppingList | int) -> ShoppingList:
    """The list under a row lock, if it is for someone the actor acts for; NotFound else."""
    pk = shopping_list.pk if isinstance(shopping_list, ShoppingList) else shopping_list
    locked = ShoppingList.objects.select_for_update().filter(pk=pk).first()
    if locked is None or locked.person_id not in policy.acting_person_ids(actor):
        raise NotFound()
    return locked


@transaction.atomic
def shopping_list_cancel(*, actor: Actor, shopping_list: ShoppingList | int) -> ShoppingList:
    """The resident withdraws a list nobody has taken into a run yet (its order too)."""
    locked = _lock_own(actor, shopping_list)
    if locked.status != ShoppingStatus.OPEN:
        raise IllegalTransition(_("Only a list still waiting for a run can be cancelled."))
    if locked.workorder_id is not None:
        workorder_transition(
            actor=actor,
            order=locked.workorder_id,
            action=Action.CANCEL,
            note=_("The resident cancelled the shopping list."),
        )
    locked.status = ShoppingStatus.CANCELLED
    locked.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="shopping.list_cancel",
        obj=locked,
        area_path=locked.area_path,
        fields=["status"],
    )
    return locked


@transaction.atomic
def shopping_list_receive(
    *,
    actor: Actor,
    shopping_list: ShoppingList | int,
    rating: int | None = None,
    comment: str = "",
) -> ShoppingList:
    """The resident (or their proxy) confirms the delivered list arrived; with stars, the
    list's order is rated (the work-order loop's own rating: points to the volunteer)."""
    locked = _lock_own(actor, shopping_list)
    if locked.status == ShoppingStatus.RECEIVED:
        raise IllegalTransition(_("You have already confirmed receipt of this list."))
    if locked.status != ShoppingStatus.DELIVERED:
        raise IllegalTransition(_("This list has not been delivered yet."))
    locked.status = ShoppingStatus.RECEIVED
    locked.received_at = clock.now()
    locked.save(update_fields=["status", "received_at", "updated_at"])
    audit_record(
        actor=actor,
        action="shopping.list_receive",
        obj=locked,
        area_path=locked.area_path,
        fields=["status", "received_at"],
        purpose=_proxy_purpose(locked.person) if locked.by_proxy else "",
    )
    if rating is not None and locked.workorder_id is not None:
        order = WorkOrder.objects.only("status").get(pk=locked.workorder_id)
        if order.status == Status.RESOLVED:
            workorder_transition(
                actor=actor, order=order.pk, action=Action.RATE, rating=rating, note=comment
            )
    return locked


# --- the volunteer's writes -------------------------------------------------------------------


def _take(actor: User, order_id: int) -> None:
    """Offer the order to the volunteer (a system dispatch) and have them accept it."""
    workorder_transition(actor=None, order=order_id, action=Action.DISPATCH, handlers=[actor])
    workorder_transition(actor=actor, order=order_id, action=Action.ACCEPT)


@transaction.atomic
def run_create(*, actor: Actor, area: Area, building_ids: Iterable[Any]) -> SupplyRun:
    """Take the open lists of some buildings of `area` into one run, handled by the actor.
    The lists are locked; one already taken into another run is not taken twice."""
    if actor is None or not access.can(actor, Perm.DELIVERY_RUN, area.path):
        raise NotFound()
    if not access.can(actor, Perm.WORKORDER_HANDLE, area.path):
        raise Forbidden()
    try:
        wanted = sorted({int(b) for b in building_ids})
    except (TypeError, ValueError):
        wanted = []
    buildings = list(Area.objects.filter(pk__in=wanted, kind=AreaKind.BUILDING).order_by("path"))
    buildings = [b for b in buildings if scope.within(b.path, [area.path])]
    if not wanted or len(buildings) != len(wanted):
        raise ValidationError(
            {"building_ids": [_("Choose buildings of the area, with open lists.")]}
        )
    if len(buildings) > RUN_BUILDINGS_MAX:
        raise ValidationError(
            {
                "building_ids": [
                    _("At most %(max)d buildings in one run.") % {"max": RUN_BUILDINGS_MAX}
                ]
            }
        )
    lists = list(
        ShoppingList.objects.select_for_update()
        .restrict(actor, Perm.DELIVERY_RUN)
        .filter(status=ShoppingStatus.OPEN, area_path__in=[b.path for b in buildings])
        .order_by("pk")
    )
    lists = [s for s in lists if s.status == ShoppingStatus.OPEN and s.run_id is None]
    if not lists:
        raise ValidationError(
            {
                "building_ids": [
                    _("No open lists in these buildings (another run may have taken them).")
                ]
            }
        )
    run_order = filing.workorder_create(
        actor=None,
        category=delivery_category(),
        description=_("Supply run: %(lists)d lists in %(buildings)d buildings")
        % {"lists": len(lists), "buildings": len({s.area_path for s in lists})},
        place=area,
    )
    _take(actor, run_order.pk)
    workorder_transition(actor=actor, order=run_order.pk, action=Action.START)
    run = SupplyRun.objects.create(
        area=area,
        area_path=area.path,
        workorder=run_order,
        status=SupplyRunStatus.BUYING,
        created_by=actor,
    )
    for shopping_list in lists:
        if shopping_list.workorder_id is not None:
            _take(actor, shopping_list.workorder_id)
        shopping_list.status = ShoppingStatus.IN_RUN
        shopping_list.run = run
        shopping_list.save(update_fields=["status", "run", "updated_at"])
    audit_record(
        actor=actor,
        action="shopping.run_create",
        obj=run,
        area_path=run.area_path,
        fields=["lists", "buildings"],
        purpose=f"lists {len(lists)}",
    )
    return run


def _lock_run(actor: Actor, run: SupplyRun | int) -> SupplyRun:
    pk = run.pk if isinstance(run, SupplyRun) else run
    locked = (
        SupplyRun.objects.select_for_update()
        .restrict(actor, Perm.DELIVERY_RUN)
        .filter(pk=pk)
        .first()
    )
    if actor is None or locked is None:
        raise NotFound()
    if locked.created_by_id != actor.pk:
        raise Forbidden(_("This run is someone else's: its volunteer delivers it."))
    return locked


def _deliver(actor: Actor, run: SupplyRun, shopping_list: ShoppingList, note: str) -> None:
    if shopping_list.status in (ShoppingStatus.DELIVERED, ShoppingStatus.RECEIVED):
        raise IllegalTransition(_("This list has already been delivered."))
    if shopping_list.status != ShoppingStatus.IN_RUN:
        raise IllegalTransition(_("This list is not waiting for delivery."))
    if shopping_list.workorder_id is not None:
        workorder_transition(actor=actor, order=shopping_list.workorder_id, action=Action.START)
        workorder_transition(
            actor=actor,
            order=shopping_list.workorder_id,
            action=Action.RESOLVE,
            note=note or _("Delivered to your door."),
        )
    shopping_list.status = ShoppingStatus.DELIVERED
    shopping_list.delivered_at = clock.now()
    shopping_list.delivered_by = actor
    shopping_list.save(update_fields=["status", "delivered_at", "delivered_by", "updated_at"])


def _after_delivery(actor: Actor, run: SupplyRun, delivered: int) -> None:
    """The run delivers; once no list of it waits, its order is resolved and it is done."""
    waiting = run.lists.filter(status=ShoppingStatus.IN_RUN).exists()
    if waiting:
        run.status = SupplyRunStatus.DELIVERING
    else:
        done = run.lists.filter(
            status__in=[ShoppingStatus.DELIVERED, ShoppingStatus.RECEIVED]
        ).count()
        workorder_transition(
            actor=actor,
            order=run.workorder_id,
            action=Action.RESOLVE,
            note=_("All %(n)d lists of the run delivered.") % {"n": done},
        )
        run.status = SupplyRunStatus.DONE
    run.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="shopping.deliver",
        obj=run,
        area_path=run.area_path,
        fields=["lists", "status"],
        purpose=f"delivered {delivered}",
    )


@transaction.atomic
def run_deliver_list(
    *, actor: Actor, run: SupplyRun | int, shopping_list: ShoppingList | int, note: str = ""
) -> ShoppingList:
    """One list handed over at its door (its order resolved: the resident is told)."""
    locked_run = _lock_run(actor, run)
    pk = shopping_list.pk if isinstance(shopping_list, ShoppingList) else shopping_list
    locked = ShoppingList.objects.select_for_update().filter(pk=pk, run=locked_run).first()
    if locked is None:
        raise NotFound()
    _deliver(actor, locked_run, locked, note)
    _after_delivery(actor, locked_run, 1)
    return locked


@transaction.atomic
def run_deliver_building(*, actor: Actor, run: SupplyRun | int, building_id: Any) -> int:
    """Every list of the run in one building handed over; the number delivered."""
    locked_run = _lock_run(actor, run)
    building = Area.objects.filter(pk=_int(building_id), kind=AreaKind.BUILDING).first()
    lists = (
        list(
            ShoppingList.objects.select_for_update()
            .filter(run=locked_run, area_path=building.path)
            .order_by("pk")
        )
        if building is not None
        else []
    )
    if not lists:
        raise ValidationError({"building_id": [_("No list of this run is in that building.")]})
    waiting = [s for s in lists if s.status == ShoppingStatus.IN_RUN]
    if not waiting:
        raise IllegalTransition(_("Every list of this building has already been delivered."))
    for shopping_list in waiting:
        _deliver(actor, locked_run, shopping_list, "")
    _after_delivery(actor, locked_run, len(waiting))
    return len(waiting)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
