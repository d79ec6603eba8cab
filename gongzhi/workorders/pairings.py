"""Who serves whom: a handler's skills and availability, and the households they serve
(包干到户)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.registry.models import Household
from gongzhi.workorders import selectors
from gongzhi.workorders.models import HandlerProfile, Pairing, Skill

if TYPE_CHECKING:
    from gongzhi.accounts.models import User
    from gongzhi.accounts.types import Actor

# --- who serves whom --------------------------------------------------------------------------


@transaction.atomic
def handler_profile_set(
    *, actor: Actor, user: User, skills: Iterable[str], available: bool = True, note: str = ""
) -> HandlerProfile:
    """A volunteer's skills and availability: set by themselves or by staff of their area."""
    if actor is not None and actor.pk != user.pk:
        areas = [m.area.path for m in selectors.handler_memberships_of(user)]
        if not any(access.can(actor, Perm.WORKORDER_DISPATCH, path) for path in areas):
            raise Forbidden()
    errors: dict[str, list[str]] = {}
    codes = list(dict.fromkeys(skills))
    unknown = [c for c in codes if c not in Skill.values]
    if unknown:
        errors.setdefault("skills", []).append(
            _("Unknown skill: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    note = text_field(errors, "note", note, 200)
    raise_errors(errors)
    profile, _created = HandlerProfile.objects.update_or_create(
        user=user, defaults={"skills": codes, "available": available, "note": note}
    )
    audit_record(
        actor=actor, action="workorder.handler_profile", obj=profile, fields=["skills", "available"]
    )
    return profile


@transaction.atomic
def pairing_set(*, actor: Actor, handler: User, households: Sequence[Household]) -> list[Pairing]:
    """包干到户: the households `handler` serves (Yuling's standard is 8). Replaces the
    handler's pairings within the actor's area; needs workorder.dispatch at each one."""
    errors: dict[str, list[str]] = {}
    for household in households:
        if actor is not None and not access.can(
            actor, Perm.WORKORDER_DISPATCH, household.area_path
        ):
            raise NotFound()
        if not access.can(handler, Perm.WORKORDER_HANDLE, household.area_path):
            # Ids, not the handler's name or the address: errors name no one.
            errors.setdefault("households", []).append(
                _("User %(user)s is not a volunteer or party member of household %(id)s's area.")
                % {"user": handler.pk, "id": household.pk}
            )
    raise_errors(errors)
    today = clock.today()
    mine = Pairing.objects.filter(handler=handler, is_active=True)
    if actor is not None:
        mine = mine.restrict(actor, Perm.WORKORDER_DISPATCH)
    keep = {h.pk for h in households}
    mine.exclude(household_id__in=keep).update(is_active=False)
    out = []
    for household in households:
        pairing, _created = Pairing.objects.update_or_create(
            handler=handler,
            household=household,
            defaults={"is_active": True, "area_path": household.area_path, "since": today},
        )
        out.append(pairing)
    audit_record(
        actor=actor,
        action="workorder.pairing",
        object_type="accounts.user",
        object_id=handler.pk,
        object_label=str(handler),
        fields=["households"],
    )
    return out
