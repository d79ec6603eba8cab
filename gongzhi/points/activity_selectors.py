"""Reads of the points square's activities, and who may see which.

- Staff see the activities of their area (`activity.manage`), through
  `Activity.objects.restrict`; one by id through `activity_get_for` (missing and out of
  scope are both 404).
- A participant sees the **published** activities open to them: whose area holds their
  household (their register record) or the area of one of their resident, volunteer or
  party member roles (`activities.open_to`): a community's activity is open to all its
  grids, a grid's to that grid. Acting for a parent, the parent's household decides.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from gongzhi.accounts import access
from gongzhi.accounts.models import User
from gongzhi.accounts.policy import Perm
from gongzhi.core.errors import NotFound
from gongzhi.core.masking import mask_name
from gongzhi.points.activities import areas_holding, may_act_for, open_to, places_of
from gongzhi.points.models import (
    Activity,
    ActivityStatus,
    Proof,
    Signup,
    SignupStatus,
)
from gongzhi.registry.models import Person

_TAKEN = Count("signups", filter=Q(signups__status=SignupStatus.SIGNED_UP))


def activity_list_for(*, user: Any, status: str | None = None) -> QuerySet[Activity]:
    """The activities of the user's area, newest first, with `taken` places."""
    qs = Activity.objects.restrict(user, Perm.ACTIVITY_MANAGE).select_related("area")
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(taken=_TAKEN).order_by("-starts_at", "-pk")


def activity_get_for(*, user: Any, activity_id: int) -> Activity:
    found = activity_list_for(user=user).filter(pk=activity_id).first()
    if found is None:
        raise NotFound()
    return found


def activities_open_for(*, user: User, person: Person | None = None) -> QuerySet[Activity]:
    """Published activities open to the user (or to `person`, acted for), soonest first."""
    places = places_of(user, person)
    if not places:
        return Activity.objects.none()
    return (
        Activity.objects.filter(area_path__in=areas_holding(places))
        .filter(status=ActivityStatus.PUBLISHED)
        .select_related("area")
        .annotate(taken=_TAKEN)
        .order_by("starts_at", "pk")
    )


def activity_open_get(*, user: User, activity_id: int, person: Person | None = None) -> Activity:
    """One activity as a participant sees it: published or over, open to them, or one they
    signed up for; NotFound otherwise (drafts included)."""
    found = (
        Activity.objects.filter(pk=activity_id)
        .exclude(status=ActivityStatus.DRAFT)
        .select_related("area")
        .annotate(taken=_TAKEN)
        .first()
    )
    if found is None:
        raise NotFound()
    mine = Signup.objects.filter(activity=found).filter(_mine(user)).exists()
    if not mine and not (
        found.status == ActivityStatus.PUBLISHED and open_to(found, places_of(user, person))
    ):
        raise NotFound()
    return found


def _mine(user: User) -> Q:
    from gongzhi.accounts.selectors import persons_user_may_act_for

    return (
        Q(participant=user) | Q(signed_up_by=user) | Q(person_id__in=persons_user_may_act_for(user))
    )


def my_signups_for(*, user: User) -> QuerySet[Signup]:
    """Sign-ups of the user and of those they act for, newest activity first."""
    return (
        Signup.objects.filter(_mine(user))
        .select_related("activity", "participant")
        .order_by("-activity__starts_at", "-pk")
    )


def signup_of(*, user: User, activity: Activity, person: Person | None = None) -> Signup | None:
    """The live sign-up of the user (or of `person`, acted for) for the activity."""
    qs = Signup.objects.filter(activity=activity, status=SignupStatus.SIGNED_UP)
    if person is not None and person.pk != user.person_id:
        return qs.filter(person=person).first()
    return qs.filter(participant=user).first()


def signup_get_for_participant(*, user: User, signup_id: int) -> Signup:
    """A sign-up the user may act on (theirs, or of someone they act for); NotFound else."""
    found = Signup.objects.select_related("activity").filter(pk=signup_id).first()
    if found is None or not may_act_for(user, found):
        raise NotFound()
    return found


def proofs_of(signup: Signup) -> QuerySet[Proof]:
    return signup.proofs.order_by("-created_at", "-pk")


def participants_of(*, user: Any, activity: Activity) -> list[dict[str, Any]]:
    """The activity's sign-ups for staff: names masked the register's way (张*明), no
    phone; the last proof's status and flags."""
    signups = (
        Signup.objects.restrict(user, Perm.ACTIVITY_MANAGE)
        .filter(activity=activity)
        .select_related("participant", "person", "signed_up_by")
        .prefetch_related("proofs")
        .order_by("status", "created_at", "pk")
    )
    rows = []
    for signup in signups:
        proofs = list(signup.proofs.all())
        last = proofs[-1] if proofs else None
        name = signup.person.name if signup.person is not None else ""
        rows.append(
            {
                "signup": signup,
                "name": mask_name(name) if name else signup.participant.username,
                "by_proxy": signup.signed_up_by_id != signup.participant_id,
                "proof": last,
                "flags": [flag["code"] for flag in (last.flags if last else [])],
            }
        )
    return rows


def may_manage(user: Any, activity: Activity) -> bool:
    return access.can(user, Perm.ACTIVITY_MANAGE, activity.area_path)
