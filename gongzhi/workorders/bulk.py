"""The same step on several orders of the inbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gongzhi.core.errors import Conflict, Forbidden, NotFound
from gongzhi.workorders import selectors
from gongzhi.workorders.services import workorder_transition
from gongzhi.workorders.states import Action

if TYPE_CHECKING:
    from gongzhi.accounts.models import User

# --- several orders at once -----------------------------------------------------------------------


@dataclass(frozen=True)
class BulkResult:
    done: list[int]
    failed: dict[int, str]  # order id -> why


BULK_ACTIONS = (Action.DISPATCH, Action.ESCALATE, Action.SOLVE, Action.CANCEL)
BULK_MAX = 100


def workorder_bulk(
    *,
    actor: User,  # a dispatcher: each order is read through their view
    order_ids: Sequence[int],
    action: str,
    note: str = "",
    handlers: Sequence[User] = (),
) -> BulkResult:
    """The same step on several orders of the inbox, each in its own transaction: one
    order that cannot move does not stop the others; each failure says why."""
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": [_("This step cannot be done in bulk.")]})
    ids = list(dict.fromkeys(int(i) for i in order_ids))
    if not ids:
        raise ValidationError({"orders": [_("Choose at least one order.")]})
    if len(ids) > BULK_MAX:
        raise ValidationError({"orders": [_("At most %(n)d orders at once.") % {"n": BULK_MAX}]})
    done, failed = [], {}
    for order_id in ids:
        try:
            order = selectors.workorder_get_for(user=actor, order_id=order_id)
            workorder_transition(
                actor=actor, order=order, action=action, note=note, handlers=handlers
            )
        except NotFound as exc:
            failed[order_id] = str(exc.message)
        except (Forbidden, Conflict) as exc:
            failed[order_id] = str(exc.message)
        except ValidationError as exc:
            failed[order_id] = " ".join(str(m) for m in exc.messages)
        else:
            done.append(order_id)
    return BulkResult(done, failed)
