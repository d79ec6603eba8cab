"""Transfer requests (迁入申请): registering here a person whose record another area holds.

A person is registered once. When someone registers an ID number that is held outside
their area, they are told only that it is registered elsewhere; what they can do is ask
for a transfer into one of their households. The request goes to the holders (users with
register.edit where the person is), who approve it — the person then moves with their
history, through the register's own move-in (`services.person_move_in_allowed`: history
row and audit entry as for any move) — or decline it, saying why.

Until it is approved the requesters see only "request #N" and its status: nothing of
the person, nor where they are registered. Holders see the person and the household
asked for. Both sides are found by area (`accounts.access`), never by a stored list.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.audit.vocabulary import system_purpose
from gongzhi.core import clock, identity
from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.core.masking import mask_text
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.notifications.services import notify
from gongzhi.registry import rows, services
from gongzhi.registry.models import (
    Household,
    HouseholdStatus,
    Person,
    Relation,
    TransferRequest,
    TransferStatus,
)

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from gongzhi.accounts.types import Actor, Viewer

REASON_MIN = 2  # 搬来 is a reason
REASON_MAX = 500

# The moves a request may make: from requested only, to one of these.
# Keyed by the stored status (a str; TransferStatus members are str too).
ALLOWED: dict[str, set[str]] = {
    TransferStatus.REQUESTED: {
        TransferStatus.APPROVED,
        TransferStatus.DECLINED,
        TransferStatus.CANCELLED,
    },
}
_ACTIONS = {
    TransferStatus.APPROVED: "person.transfer_approve",
    TransferStatus.DECLINED: "person.transfer_decline",
    TransferStatus.CANCELLED: "person.transfer_cancel",
}
_TOLD: dict[str, Promise] = {
    TransferStatus.APPROVED: gettext_lazy("Transfer request #%(id)d was approved"),
    TransferStatus.DECLINED: gettext_lazy("Transfer request #%(id)d was declined"),
}


def _reason(errors: dict[str, list[str]], field: str, value: Any) -> str:
    text = text_field(errors, field, value, REASON_MAX, required=True)
    if text and len(text) < REASON_MIN and field not in errors:
        errors.setdefault(field, []).append(
            _("Write at least %(min)d characters.") % {"min": REASON_MIN}
        )
    # Free text kept and shown to both areas: an ID number or phone in it is masked.
    return mask_text(text)


def _audit(*, actor: Actor, action: str, transfer: TransferRequest, fields: list[str]) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=transfer,
        object_label=f"#{transfer.pk}",
        area_path=transfer.from_area_path,
        fields=fields,
        purpose=system_purpose(
            "transfer", transfer=transfer.pk, household=transfer.to_household_id
        ),
    )


# --- writes ------------------------------------------------------------------------------------


@transaction.atomic
def transfer_request_create(
    *,
    actor: Actor,
    household: Household,
    id_number: str,
    reason: str,
    relation: str = Relation.OTHER,
) -> TransferRequest:
    """Ask the area holding the person with this ID number to let them move into
    `household` (in the actor's area). Says nothing about the person in return."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    access.require(actor, Perm.REGISTER_EDIT, household.area_path)
    errors: dict[str, list[str]] = {}
    reason = _reason(errors, "reason", reason)
    if household.status == HouseholdStatus.CLOSED:
        errors.setdefault("household", []).append(_("This household is closed."))
    if relation not in Relation.values:
        errors.setdefault("relation", []).append(_("Choose a relation from the list."))
    person = None
    try:
        rid = identity.parse_resident_id(id_number or "")
    except ValidationError as exc:
        errors.setdefault("id_number", []).extend(exc.messages)
    else:
        index = rows.id_number_index(rid.number)
        person = Person.objects.select_for_update().filter(id_number_index=index).first()
        if person is None:
            errors.setdefault("id_number", []).append(
                _("No one is registered with this ID number: register the person instead.")
            )
        elif access.can(actor, Perm.REGISTER_EDIT, person.area_path):
            errors.setdefault("id_number", []).append(
                _("This person is registered in your area: move them in directly.")
            )
    raise_errors(errors)
    assert person is not None
    transfer = TransferRequest(
        person=person,
        from_area_path=person.area_path,
        to_household=household,
        to_area_path=household.area_path,
        relation=relation,
        reason=reason,
        requested_by=actor,
    )
    try:
        with transaction.atomic():
            transfer.save()
    except IntegrityError:
        raise ValidationError(
            {"id_number": [_("A transfer of this person into this household is pending already.")]}
        ) from None
    _audit(actor=actor, action="person.transfer_request", transfer=transfer, fields=["person"])
    transaction.on_commit(lambda: _tell_holders(transfer.pk))
    return transfer


@transaction.atomic
def transfer_request_decide(
    *, actor: Actor, transfer: TransferRequest, approve: bool, decline_reason: str = ""
) -> TransferRequest:
    """The holders' answer. Approved: the person moves into the household asked for,
    with their history. Declined: `decline_reason` says why (the requesters see it)."""
    transfer = TransferRequest.objects.select_for_update().get(pk=transfer.pk)
    person = Person.objects.select_for_update().get(pk=transfer.person_id)
    household = Household.objects.select_for_update().get(pk=transfer.to_household_id)
    # Decided where the person is now (they may have moved within the holding area).
    access.require(actor, Perm.REGISTER_EDIT, person.area_path)
    target = TransferStatus.APPROVED if approve else TransferStatus.DECLINED
    _check_move(transfer, target)
    errors: dict[str, list[str]] = {}
    if not approve:
        transfer.decline_reason = _reason(errors, "decline_reason", decline_reason)
    elif not access.can(transfer.requested_by, Perm.REGISTER_EDIT, household.area_path):
        errors.setdefault("__all__", []).append(
            _(
                "Whoever asked may no longer register persons in that household; decline "
                "the request."
            )
        )
    raise_errors(errors)
    if approve:
        services.person_move_in_allowed(
            actor=actor,
            person=person,
            household=household,
            relation=transfer.relation,
            note=_("Transfer request #%(id)d") % {"id": transfer.pk},
        )
    transfer.status = target
    transfer.decided_by = actor
    transfer.decided_at = clock.now()
    transfer.save()
    _audit(actor=actor, action=_ACTIONS[target], transfer=transfer, fields=["status"])
    if approve:
        _close_others(transfer, actor)
    transaction.on_commit(lambda: _tell_requester(transfer.pk))
    return transfer


@transaction.atomic
def transfer_request_cancel(*, actor: Actor, transfer: TransferRequest) -> TransferRequest:
    """The requesting area withdraws its request."""
    transfer = TransferRequest.objects.select_for_update().get(pk=transfer.pk)
    access.require(actor, Perm.REGISTER_EDIT, transfer.to_area_path)
    _check_move(transfer, TransferStatus.CANCELLED)
    transfer.status = TransferStatus.CANCELLED
    transfer.decided_by = actor
    transfer.decided_at = clock.now()
    transfer.save()
    _audit(
        actor=actor, action=_ACTIONS[TransferStatus.CANCELLED], transfer=transfer, fields=["status"]
    )
    return transfer


def _check_move(transfer: TransferRequest, target: str) -> None:
    if target not in ALLOWED.get(transfer.status, set()):
        raise ValidationError(
            {
                "__all__": [
                    _("This request is %(status)s already.")
                    % {"status": TransferStatus(transfer.status).label.lower()}
                ]
            }
        )


def _close_others(transfer: TransferRequest, actor: Actor) -> None:
    """Other pending requests for the person cannot be carried out any more."""
    others = TransferRequest.objects.select_for_update().filter(
        person_id=transfer.person_id, status=TransferStatus.REQUESTED
    )
    for other in others.exclude(pk=transfer.pk):
        other.status = TransferStatus.DECLINED
        other.decided_by = actor
        other.decided_at = transfer.decided_at
        other.decline_reason = _("The person is no longer registered in the area that held them.")
        other.save()
        _audit(
            actor=actor, action=_ACTIONS[TransferStatus.DECLINED], transfer=other, fields=["status"]
        )
        transaction.on_commit(functools.partial(_tell_requester, other.pk))


# --- who is told -------------------------------------------------------------------------------


def transfer_holders(path: str) -> list[Any]:
    """Active users who may edit the register at `path`: who decides a request there."""
    memberships = access.holders(Perm.REGISTER_EDIT, path, nearest=False)
    return sorted({m.user for m in memberships}, key=lambda user: user.pk)


def _tell_holders(transfer_id: int) -> None:
    transfer = TransferRequest.objects.get(pk=transfer_id)
    # No name, ID number or address: the request's number and where to decide it.
    notify(
        recipients=transfer_holders(transfer.from_area_path),
        kind="registry.transfer_requested",
        title=_("Transfer request #%(id)d: a resident of your area is asked to move")
        % {"id": transfer.pk},
        body=_(
            "Another area asks to register one of your residents with them. Approve or "
            "decline the request."
        ),
        url=reverse("registry:transfer_detail", args=[transfer.pk]),
        actor=transfer.requested_by,
        obj=transfer,
    )


def _tell_requester(transfer_id: int) -> None:
    transfer = TransferRequest.objects.get(pk=transfer_id)
    if transfer.status not in _TOLD:
        return
    notify(
        recipients=[transfer.requested_by_id],
        kind=f"registry.transfer_{transfer.status}",
        title=str(_TOLD[transfer.status]) % {"id": transfer.pk},
        url=reverse("registry:transfer_detail", args=[transfer.pk]),
        actor=transfer.decided_by,
        obj=transfer,
    )


# --- reads -------------------------------------------------------------------------------------

INCOMING, OUTGOING = "incoming", "outgoing"


def transfer_incoming_for(*, user: Viewer, status: str = "") -> QuerySet[TransferRequest]:
    """Requests for persons held where the user may edit the register: theirs to decide."""
    transfers = access.restrict(
        TransferRequest.objects.all(), user, Perm.REGISTER_EDIT, "from_area_path"
    )
    if status:
        transfers = transfers.filter(status=status)
    return transfers.select_related("person", "to_household", "requested_by").order_by(
        "-created_at", "-id"
    )


def transfer_outgoing_for(*, user: Viewer, status: str = "") -> QuerySet[TransferRequest]:
    """Requests into households where the user may edit the register: theirs to follow."""
    transfers = access.restrict(
        TransferRequest.objects.all(), user, Perm.REGISTER_EDIT, "to_area_path"
    )
    if status:
        transfers = transfers.filter(status=status)
    return transfers.select_related("to_household", "requested_by").order_by("-created_at", "-id")


@dataclass(frozen=True)
class TransferView:
    """A request as one viewer may see it. `person` is set only for the holders (and for
    the requesters once the person moved in, where they may see them)."""

    transfer: TransferRequest
    direction: str  # INCOMING (the viewer decides) or OUTGOING (the viewer asked)
    person: Person | None
    can_decide: bool
    can_cancel: bool


def transfer_view(*, user: Viewer, transfer: TransferRequest) -> TransferView:
    incoming = access.can(user, Perm.REGISTER_EDIT, transfer.from_area_path)
    outgoing = access.can(user, Perm.REGISTER_EDIT, transfer.to_area_path)
    if not (incoming or outgoing):
        raise NotFound()
    open_ = transfer.status == TransferStatus.REQUESTED
    person = None
    if incoming or (
        transfer.status == TransferStatus.APPROVED
        and access.can(user, Perm.REGISTER_VIEW, transfer.person.area_path)
    ):
        person = transfer.person
    return TransferView(
        transfer=transfer,
        direction=INCOMING if incoming else OUTGOING,
        person=person,
        can_decide=open_
        and incoming
        and access.can(user, Perm.REGISTER_EDIT, transfer.person.area_path),
        can_cancel=open_ and outgoing,
    )


def transfer_get_for(*, user: Viewer, transfer_id: Any) -> TransferView:
    """One request, for either side; missing and not the viewer's alike are NotFound."""
    transfer = get_by_id(
        TransferRequest.objects.select_related(
            "person__household", "to_household", "requested_by", "decided_by"
        ),
        transfer_id,
    )
    return transfer_view(user=user, transfer=transfer)
