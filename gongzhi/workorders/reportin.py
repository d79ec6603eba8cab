"""双报到 report-in: party members and volunteers offer to serve in a community.

Someone signs up on /m/ (signed in by an SMS code; they need not be in the register) with
their kind, work unit or organisation, skills (the `Skill` vocabulary dispatch matches),
free times, the community and perhaps a preferred grid — or staff add them directly. The
grid leader or secretary (`volunteers.manage` there) approves, placing them in a grid:
the volunteer or party-member role on that grid (`accounts.services.membership_grant`)
and their skills (`pairings.handler_profile_set`); or refuses, saying why. The applicant
is told either way, in the inbox and by SMS. Pairing them with households is
`pairings.pairing_set`.

A report-in waits at its preferred grid, else at its community: a grid leader sees the
community's unplaced ones too (`overlapping`), and may place them in their own grid.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.models import Role, User
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.services import (
    membership_grant,
    normalize_mobile,
    user_create,
    user_for_phone,
    user_set_phone,
)
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, scope
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.core.masking import mask_text
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.notifications.services import notify
from gongzhi.registry.models import Area, AreaKind
from gongzhi.workorders.models import (
    FreeTime,
    HandlerProfile,
    ReportIn,
    ReportInKind,
    ReportInStatus,
    Skill,
)
from gongzhi.workorders.pairings import handler_profile_set

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor, Viewer

ORGANISATION_MAX = 100
NAME_MAX = 40
REASON_MIN = 2
REASON_MAX = 200

# The role a report-in places its applicant in, by kind.
ROLE_OF: dict[str, str] = {
    ReportInKind.PARTY_MEMBER: Role.PARTY_MEMBER,
    ReportInKind.VOLUNTEER: Role.VOLUNTEER,
}


# --- what an application says --------------------------------------------------------------


def _codes(errors: dict[str, list[str]], field: str, values: Iterable[str], allowed: Any) -> list:
    codes = list(dict.fromkeys(v for v in values or () if v))
    unknown = [c for c in codes if c not in allowed.values]
    if unknown:
        errors.setdefault(field, []).append(
            _("Choose from the list; not known: %(codes)s.")
            % {"codes": ", ".join(c[:20] for c in unknown)}
        )
    return [c for c in codes if c in allowed.values]


def _place(
    errors: dict[str, list[str]], community: Area | None, grid: Area | None
) -> tuple[Area | None, Area | None]:
    if community is None or community.kind != AreaKind.COMMUNITY:
        errors.setdefault("community", []).append(_("Choose a community."))
        return None, None
    if grid is not None and (
        grid.kind != AreaKind.GRID or not scope.within(grid.path, [community.path])
    ):
        errors.setdefault("grid", []).append(_("Choose a grid of the community chosen."))
        return community, None
    return community, grid


def _details(
    errors: dict[str, list[str]],
    *,
    kind: str,
    organisation: str,
    skills: Iterable[str],
    free_times: Iterable[str],
) -> dict[str, Any]:
    if kind not in ReportInKind.values:
        errors.setdefault("kind", []).append(_("Choose party member or volunteer."))
    return {
        "kind": kind,
        # Free text the deciders read: an ID number or phone typed into it is masked.
        "organisation": mask_text(
            text_field(errors, "organisation", organisation, ORGANISATION_MAX, one_line=True)
        ),
        "skills": _codes(errors, "skills", skills, Skill),
        "free_times": _codes(errors, "free_times", free_times, FreeTime),
    }


def reportin_check(
    *,
    kind: str,
    organisation: str,
    skills: Iterable[str],
    free_times: Iterable[str],
    community: Area | None,
    grid: Area | None = None,
    name: str = "",
) -> None:
    """The application's own rules, checked before anything is written (the /m/ page
    checks them before it spends the applicant's SMS code)."""
    errors: dict[str, list[str]] = {}
    _details(errors, kind=kind, organisation=organisation, skills=skills, free_times=free_times)
    _place(errors, community, grid)
    text_field(errors, "name", name, NAME_MAX, one_line=True)
    raise_errors(errors)


def _audit(actor: Actor, action: str, report: ReportIn, fields: list[str]) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=report,
        object_label=f"#{report.pk}",
        area_path=report.area_path,
        fields=fields,
    )


def _set_name(user: User, name: str) -> None:
    """A name for an account that has none (an applicant outside the register)."""
    name = " ".join((name or "").split())[:NAME_MAX]
    if name and not user.display_name:
        user.display_name = name
        user.save(update_fields=["display_name"])


# --- writes ------------------------------------------------------------------------------------


@transaction.atomic
def reportin_submit(
    *,
    actor: User,
    kind: str,
    organisation: str = "",
    skills: Iterable[str] = (),
    free_times: Iterable[str] = (),
    community: Area | None,
    grid: Area | None = None,
    name: str = "",
) -> ReportIn:
    """The signed-in applicant reports in; their community's deciders are told."""
    errors: dict[str, list[str]] = {}
    details = _details(
        errors, kind=kind, organisation=organisation, skills=skills, free_times=free_times
    )
    community, grid = _place(errors, community, grid)
    text_field(errors, "name", name, NAME_MAX, one_line=True)
    if ReportIn.objects.filter(user=actor, status=ReportInStatus.PENDING).exists():
        errors.setdefault("__all__", []).append(
            _("Your report-in is waiting for approval already; withdraw it to change it.")
        )
    raise_errors(errors)
    assert community is not None
    report = ReportIn(
        user=actor,
        community=community,
        grid=grid,
        area_path=(grid or community).path,
        **details,
    )
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:  # a second page submitted at the same moment
        raise ValidationError(
            {"__all__": [_("Your report-in is waiting for approval already.")]}
        ) from None
    _set_name(actor, name)
    _audit(actor, "workorder.reportin", report, ["kind", "organisation", "skills", "free_times"])
    transaction.on_commit(lambda: _tell_deciders(report.pk))
    return report


def _check_grid(actor: Actor, report: ReportIn, grid: Area | None) -> Area:
    """The grid to place the applicant in: in the report-in's community, where the actor
    places volunteers, and where the report-in waits (its grid, or any of its community)."""
    if grid is None or grid.kind != AreaKind.GRID:
        raise ValidationError({"grid": [_("Choose a grid.")]})
    if not scope.within(grid.path, [report.community.path]):
        raise ValidationError({"grid": [_("Choose a grid of the community chosen.")]})
    # Asked for another grid: only who decides there (its leader, the secretary) may
    # place them elsewhere.
    elsewhere = report.grid_id is not None and not scope.within(grid.path, [report.area_path])
    access.require(actor, Perm.VOLUNTEERS_MANAGE, report.area_path if elsewhere else grid.path)
    access.require(actor, Perm.VOLUNTEERS_MANAGE, grid.path)
    return grid


def _not_own(actor: Actor, report: ReportIn) -> None:
    if actor is not None and actor.pk == report.user_id:
        raise Forbidden(_("Someone else decides your own report-in."))


def _locked(report: ReportIn) -> ReportIn:
    report = (
        ReportIn.objects.select_for_update(of=("self",))
        .select_related("community")
        .get(pk=report.pk)
    )
    if report.status != ReportInStatus.PENDING:
        raise ValidationError(
            {
                "__all__": [
                    _("This report-in is %(status)s already.")
                    % {"status": ReportInStatus(report.status).label.lower()}
                ]
            }
        )
    return report


def _place_applicant(
    actor: Actor, report: ReportIn, grid: Area, skills: Iterable[str] | None
) -> None:
    membership_grant(user=report.user, area=grid, role=ROLE_OF[report.kind], actor=actor)
    current = HandlerProfile.objects.filter(user=report.user).first()
    handler_profile_set(
        actor=actor,
        user=report.user,
        skills=list(skills) if skills is not None else report.skills,
        available=current.available if current is not None else True,
        note=current.note if current is not None else "",
    )


@transaction.atomic
def reportin_approve(
    *, actor: Actor, report: ReportIn, grid: Area | None, skills: Iterable[str] | None = None
) -> ReportIn:
    """Place the applicant in `grid` with the volunteer or party-member role, and their
    skills (`skills`, else those they gave)."""
    _not_own(actor, report)
    report = _locked(report)
    grid = _check_grid(actor, report, grid)
    if skills is not None:
        errors: dict[str, list[str]] = {}
        skills = _codes(errors, "skills", skills, Skill)
        raise_errors(errors)
    _place_applicant(actor, report, grid, skills)
    report.status = ReportInStatus.APPROVED
    report.placed = grid
    report.decided_by = actor
    report.decided_at = clock.now()
    if skills is not None:
        report.skills = list(skills)
    report.save()
    _audit(actor, "workorder.reportin_approve", report, ["status", "placed", "skills"])
    transaction.on_commit(lambda: _tell_applicant(report.pk))
    return report


@transaction.atomic
def reportin_refuse(*, actor: Actor, report: ReportIn, reason: str) -> ReportIn:
    """Refuse, saying why (the applicant reads it)."""
    _not_own(actor, report)
    report = _locked(report)
    if not access.can(actor, Perm.VOLUNTEERS_MANAGE, report.area_path) and actor is not None:
        # A grid leader sees the community's unplaced report-ins but decides only by
        # placing them; refusing one is for whoever holds the community.
        raise Forbidden()
    errors: dict[str, list[str]] = {}
    text = text_field(errors, "reason", reason, REASON_MAX, required=True)
    if text and len(text) < REASON_MIN and "reason" not in errors:
        errors.setdefault("reason", []).append(
            _("Write at least %(min)d characters.") % {"min": REASON_MIN}
        )
    raise_errors(errors)
    report.status = ReportInStatus.REFUSED
    report.refusal_reason = mask_text(text)
    report.decided_by = actor
    report.decided_at = clock.now()
    report.save()
    _audit(actor, "workorder.reportin_refuse", report, ["status", "refusal_reason"])
    transaction.on_commit(lambda: _tell_applicant(report.pk))
    return report


@transaction.atomic
def reportin_withdraw(*, actor: User, report: ReportIn) -> ReportIn:
    """The applicant takes back a report-in still waiting."""
    if report.user_id != actor.pk:
        raise NotFound()
    report = _locked(report)
    report.status = ReportInStatus.WITHDRAWN
    report.decided_at = clock.now()
    report.save()
    _audit(actor, "workorder.reportin_withdraw", report, ["status"])
    return report


def applicant_account(*, phone: str, name: str = "") -> User:
    """The account of the person with this mobile number; a new one (no role, not linked
    to the register) for a number no account has. For staff adding someone directly."""
    normalized = normalize_mobile(phone)
    user = user_for_phone(normalized)
    if user is None:
        user = user_create(
            username=f"v-{secrets.token_hex(5)}", password=None, display_name=name[:NAME_MAX]
        )
        user_set_phone(user=user, phone=normalized)
    return user


@transaction.atomic
def reportin_add(
    *,
    actor: Actor,
    phone: str,
    name: str,
    kind: str,
    grid: Area | None,
    organisation: str = "",
    skills: Iterable[str] = (),
    free_times: Iterable[str] = (),
) -> ReportIn:
    """Staff add a party member or volunteer directly (by their mobile number, with or
    without an account): a report-in approved at once, placing them in `grid`."""
    errors: dict[str, list[str]] = {}
    details = _details(
        errors, kind=kind, organisation=organisation, skills=skills, free_times=free_times
    )
    name = text_field(errors, "name", name, NAME_MAX, required=True, one_line=True)
    if grid is None or grid.kind != AreaKind.GRID:
        errors.setdefault("grid", []).append(_("Choose a grid."))
    try:
        normalize_mobile(phone)
    except ValidationError as exc:
        errors.setdefault("phone", []).extend(exc.messages)
    raise_errors(errors)
    assert grid is not None
    access.require(actor, Perm.VOLUNTEERS_MANAGE, grid.path)
    community = Area.objects.filter(
        path__in=scope.ancestors(grid.path), kind=AreaKind.COMMUNITY
    ).first()
    if community is None:
        raise ValidationError({"grid": [_("Choose a grid.")]})
    user = applicant_account(phone=phone, name=name)
    if actor is not None and user.pk == actor.pk:
        raise Forbidden(_("Someone else decides your own report-in."))
    _set_name(user, name)
    # Anything they had waiting is superseded by this placement.
    ReportIn.objects.filter(user=user, status=ReportInStatus.PENDING).update(
        status=ReportInStatus.WITHDRAWN, decided_at=clock.now()
    )
    report = ReportIn.objects.create(
        user=user,
        community=community,
        grid=grid,
        area_path=grid.path,
        added_by=actor,
        status=ReportInStatus.APPROVED,
        placed=grid,
        decided_by=actor,
        decided_at=clock.now(),
        **details,
    )
    _place_applicant(actor, report, grid, None)
    _audit(actor, "workorder.reportin_add", report, ["user", "kind", "placed", "skills"])
    transaction.on_commit(lambda: _tell_applicant(report.pk))
    return report


# --- who is told -------------------------------------------------------------------------------


def deciders(path: str) -> list[User]:
    """Who decides a report-in waiting at `path`: `volunteers.manage` there, nearest first."""
    return sorted(
        {m.user for m in access.holders(Perm.VOLUNTEERS_MANAGE, path)}, key=lambda u: u.pk
    )


def _tell_deciders(report_id: int) -> None:
    report = ReportIn.objects.get(pk=report_id)
    # No name or phone: the number, the kind, and where to decide.
    notify(
        recipients=deciders(report.area_path),
        kind="workorder.reportin",
        title=_("Report-in #%(id)d: a %(kind)s asks to serve")
        % {"id": report.pk, "kind": ReportInKind(report.kind).label.lower()},
        body=_("Approve it and place them in a grid, or refuse it saying why."),
        url=reverse("workorders:reportin_detail", args=[report.pk]),
        actor=report.user,
        obj=report,
    )


def _tell_applicant(report_id: int) -> None:
    report = ReportIn.objects.select_related("placed").get(pk=report_id)
    if report.status == ReportInStatus.APPROVED:
        title = _("Your report-in is approved: you serve in %(grid)s") % {
            "grid": report.placed.name if report.placed else ""
        }
        body = _("Thank you. Your grid leader will pair you with households.")
    elif report.status == ReportInStatus.REFUSED:
        title = _("Your report-in was not approved")
        body = report.refusal_reason
    else:
        return
    notify(
        recipients=[report.user_id],
        kind=f"workorder.reportin_{report.status}",
        title=title,
        body=body,
        url=reverse("portal:volunteer"),
        sms=True,
        actor=report.decided_by,
        obj=report,
    )


# --- reads -------------------------------------------------------------------------------------


def reportin_list_for(*, user: Viewer, status: str = "") -> QuerySet[ReportIn]:
    """Report-ins waiting (or decided) where the user places volunteers: their grids', and
    their community's not yet placed in a grid."""
    reports = ReportIn.objects.restrict(user, Perm.VOLUNTEERS_MANAGE, overlapping=True)
    if status:
        reports = reports.filter(status=status)
    return reports.select_related("user", "community", "grid", "placed", "decided_by").order_by(
        "-created_at", "-id"
    )


def reportin_get_for(*, user: Viewer, report_id: Any) -> ReportIn:
    return get_by_id(reportin_list_for(user=user), report_id)


def reportins_of(user: Viewer) -> QuerySet[ReportIn]:
    """The applicant's own report-ins, latest first."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return ReportIn.objects.none()
    return ReportIn.objects.filter(user_id=user.pk).select_related("community", "grid", "placed")


def placement_grids_for(*, user: Viewer, report: ReportIn) -> list[Area]:
    """The grids the user may place this applicant in."""
    within = report.area_path if report.grid_id else report.community.path
    return list(
        Area.objects.restrict(user, Perm.VOLUNTEERS_MANAGE)
        .within(within)
        .filter(kind=AreaKind.GRID)
        .order_by("path")
    )


def community_choices() -> list[Area]:
    """Communities an applicant may report in to (every community: they choose theirs)."""
    return list(Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path"))


def grid_choices(community: Area) -> list[Area]:
    return list(Area.objects.within(community.path).filter(kind=AreaKind.GRID).order_by("path"))


def area_for_choice(raw_id: Any, kind: str) -> Area | None:
    """A community or grid an applicant picked (any of them: the tree is not secret)."""
    if raw_id in (None, ""):
        return None
    try:
        return get_by_id(Area.objects.filter(kind=kind), raw_id)
    except NotFound:
        return None
