"""Who serves whom: a handler's skills and availability, and the households they serve
(包干到户)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.models import User
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, scope
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.registry.models import Household, HouseholdStatus
from gongzhi.registry.panels import Panel
from gongzhi.workorders import selectors
from gongzhi.workorders.models import HandlerProfile, Pairing, Skill

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor, Viewer

PAIRING_MAX = 8  # households one person serves (包干到户: Yuling's "8 households")
CHOICES_MAX = 500  # households the pairing editor lists at once (a grid has ~300)

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
    """包干到户: the households `handler` serves, at most PAIRING_MAX (Yuling's standard
    is 8) counting those outside the actor's area. Replaces the handler's pairings within
    the actor's area; needs workorder.dispatch at each one."""
    errors: dict[str, list[str]] = {}
    households = list({h.pk: h for h in households}.values())
    # Lock the handler's row: two pages pairing the same handler at once count in turn.
    type(handler).objects.select_for_update().filter(pk=handler.pk).first()
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
    today = clock.today()
    mine = Pairing.objects.filter(handler=handler, is_active=True)
    if actor is not None:
        mine = mine.restrict(actor, Perm.WORKORDER_DISPATCH)
    elsewhere = (
        Pairing.objects.filter(handler=handler, is_active=True)
        .exclude(pk__in=mine.values("pk"))
        .exclude(household_id__in=[h.pk for h in households])
        .count()
    )
    if elsewhere + len(households) > PAIRING_MAX:
        errors.setdefault("households", []).append(
            _("At most %(max)d households per person; this would make %(count)d.")
            % {"max": PAIRING_MAX, "count": elsewhere + len(households)}
        )
    raise_errors(errors)
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


# --- reads: the pairing editor, and the pairings shown on pages ------------------------------


@dataclass(frozen=True)
class HouseholdChoice:
    household: Household
    paired_with: int  # how many people serve it now (this handler included)
    mine: bool  # this handler serves it


def volunteer_memberships_of(user: User) -> list[Any]:
    """The user's volunteer and party-member roles (not staff who also handle orders)."""
    return [m for m in selectors.handler_memberships_of(user) if m.role in selectors.HANDLER_ROLES]


def volunteer_get_for(*, user: Viewer, volunteer_id: Any) -> User:
    """A volunteer or party member serving where the user places volunteers (their node,
    below it, or above it: a community's volunteer for a grid leader); else NotFound."""
    handler = get_by_id(User.objects.filter(is_active=True), volunteer_id)
    if not any(
        access.overlaps(user, Perm.VOLUNTEERS_MANAGE, m.area.path)
        for m in volunteer_memberships_of(handler)
    ):
        raise NotFound()
    return handler


def pairing_paths_for(*, user: Viewer, handler: User) -> list[str]:
    """Where the user may pair the handler with households: the handler's areas, narrowed
    to where the user dispatches (a grid leader pairs a community's volunteer in their grid)."""
    paths: list[str] = []
    for membership in volunteer_memberships_of(handler):
        paths += access.paths_within(user, Perm.WORKORDER_DISPATCH, membership.area.path)
    return scope.minimal(paths)


def pairing_households_for(
    *, user: Viewer, handler: User, paths: Sequence[str], unpaired_only: bool = False, q: str = ""
) -> list[HouseholdChoice]:
    """The households under `paths` (`pairing_paths_for`) the user may pair: the handler's
    own first, then those nobody serves, then the rest; by address."""
    if not paths:
        return []
    households = (
        Household.objects.restrict(user, Perm.WORKORDER_DISPATCH)
        .within(*paths)
        .exclude(status=HouseholdStatus.CLOSED)
        .select_related("head")
    )
    if q:
        households = households.filter(address__icontains=q.strip()[:50])
    counts = dict(
        Pairing.objects.filter(is_active=True, household__in=households.values("pk"))
        .values("household_id")
        .annotate(n=Count("pk"))
        .values_list("household_id", "n")
    )
    mine = set(
        Pairing.objects.filter(handler=handler, is_active=True).values_list(
            "household_id", flat=True
        )
    )
    out = [
        HouseholdChoice(household=h, paired_with=counts.get(h.pk, 0), mine=h.pk in mine)
        for h in households.order_by("area_path", "unit", "room", "pk")[:CHOICES_MAX]
    ]
    if unpaired_only:
        out = [c for c in out if c.mine or c.paired_with == 0]
    out.sort(key=lambda c: (not c.mine, c.paired_with > 0))
    return out


def pairings_of(handler: User) -> QuerySet[Pairing]:
    """Whom the handler serves (for their own /m/ page and their page in the workbench)."""
    return (
        Pairing.objects.filter(handler=handler, is_active=True)
        .select_related("household__head", "household__building__parent")
        .order_by("area_path", "household__unit", "household__room")
    )


def pairings_of_household(household_id: int) -> list[Pairing]:
    """Who serves the household: the caller has checked the viewer may see it."""
    return list(
        Pairing.objects.filter(household_id=household_id, is_active=True)
        .select_related("handler")
        .order_by("since", "pk")
    )


def household_panel(user: Viewer, household: Household) -> Panel:
    """The household page's "who serves this household" block (`registry.panels`)."""
    return Panel(
        "workorders/_pairings_panel.html",
        {
            "pairings": pairings_of_household(household.pk),
            "manages": access.can(user, Perm.VOLUNTEERS_MANAGE, household.area_path),
        },
    )


def person_panel(user: Viewer, person: Any) -> Panel:
    """The same block on a person's page: who serves their household."""
    return household_panel(user, person.household)
