"""Writes of the mode (平疫结合): switching a community normal <-> emergency, and saving what
each mode turns on (its profile, as versioned data).

A switch locks the community's `ModeState` (made under the lock on the first switch),
appends a `ModeSwitch`, and writes one audit entry, in one transaction. After the commit
it is announced: an urgent notice to the community (published by the system) and one SMS
to each of its staff, party members and volunteers, naming the community and the mode,
never a resident. Switching back to normal starts the data sunset: every record of the
health sunset's retained models made in the community since the emergency began is kept
until the switch day + `GONGZHI_EMERGENCY_SUNSET_DAYS` (default 30), and no longer.

The two hooks that lower apps read (their minutes shortened by a factor, their records held
from the purge) are filled in `EmergencyConfig.ready()` from `sla_factor_at` and
`paths_on_hold`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.models import Membership, Role
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.audit.vocabulary import system_purpose
from gongzhi.core import clock
from gongzhi.core.errors import NotFound
from gongzhi.core.validation import text_field
from gongzhi.emergency import modes
from gongzhi.emergency.models import EmergencyKind, Mode, ModeProfile, ModeState, ModeSwitch
from gongzhi.health import sunset
from gongzhi.registry.models import Area, AreaKind

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

logger = logging.getLogger(__name__)

REASON_MAX = 200
SUNSET_DAYS_DEFAULT = 30
# Told of a switch by SMS: the community's staff (keepers, police, doctor) and its party
# members and volunteers, wherever in its subtree they hold the role.
TOLD_STAFF = (
    Role.GRID_WORKER,
    Role.GRID_LEADER,
    Role.COMMUNITY_STAFF,
    Role.SECRETARY,
    Role.POLICE,
    Role.DOCTOR,
)
TOLD_HELPERS = (Role.PARTY_MEMBER, Role.VOLUNTEER)
# Profile limits.
LINKS_MAX = 12
DUTIES_MAX = 20
DUTY_TITLE_MAX = 60
SLA_FACTOR_MIN, SLA_FACTOR_MAX = 0.1, 1.0
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def sunset_days() -> int:
    return int(getattr(settings, "GONGZHI_EMERGENCY_SUNSET_DAYS", SUNSET_DAYS_DEFAULT))


def _community(actor: Actor, perm: Perm, area: Area) -> Area:
    """The community the write is about: the actor's permission first (Forbidden), then
    the kind (a grid, a street or a closed community is no such community: NotFound)."""
    if not isinstance(area, Area):
        raise NotFound()
    access.require(actor, perm, area.path)
    if area.kind != AreaKind.COMMUNITY or area.closed_at is not None:
        raise NotFound()
    return area


# --- the switch --------------------------------------------------------------------------------


def mode_switch(*, actor: Actor, area: Area, to_mode: Any, kind: Any, reason: Any) -> ModeSwitch:
    """Switch the community `area` to `to_mode` (normal or emergency, the latter with a
    `kind`), with a reason. Every problem comes back at once, each naming its field."""
    community = _community(actor, Perm.EMERGENCY_SWITCH, area)
    errors: dict[str, list[Any]] = {}
    if to_mode not in Mode.values:
        errors.setdefault("mode", []).append(_("Choose normal or emergency mode."))
    kind = "" if kind is None else str(kind).strip()
    if to_mode == Mode.EMERGENCY:
        if not kind:
            errors.setdefault("kind", []).append(
                _("Say what kind of emergency it is (epidemic, flood, fire …).")
            )
        elif kind not in EmergencyKind.values:
            errors.setdefault("kind", []).append(_("Choose one of the kinds of emergency listed."))
    else:
        kind = ""
    reason = text_field(errors, "reason", reason, REASON_MAX, required=True, one_line=True)
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    with transaction.atomic():
        state = _locked_state(community, now)
        if state.mode == to_mode:
            raise ValidationError(
                {"mode": [_("The community is in this mode already.")]}, code="same_mode"
            )
        from_mode, began = state.mode, state.since
        state.mode, state.kind, state.reason = to_mode, kind, reason
        state.since, state.switched_by = now, _user(actor)
        state.save(update_fields=["mode", "kind", "reason", "since", "switched_by", "updated_at"])
        switch = ModeSwitch.objects.create(
            area=community, area_path=community.path, from_mode=from_mode, to_mode=to_mode,
            kind=kind, reason=reason, at=now, by=_user(actor),
        )  # fmt: skip
        kept = 0
        if to_mode == Mode.NORMAL:
            switch.sunset_on = clock.today() + dt.timedelta(days=sunset_days())
            switch.save(update_fields=["sunset_on", "updated_at"])
            kept = _start_sunset(community.path, began=began, until=switch.sunset_on)
        audit_record(
            actor=actor,
            action="emergency.switch",
            obj=switch,
            object_label=community.name,
            area_path=community.path,
            purpose=system_purpose(
                "mode_switch",
                from_mode=from_mode,
                to_mode=to_mode,
                kind=kind or "-",
                records=kept,
            ),
        )
        transaction.on_commit(lambda: announce(switch.pk))
    return switch


def _user(actor: Actor) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _locked_state(community: Area, now: dt.datetime) -> ModeState:
    """The community's state row, locked; made (normal since now) under the community's
    own row lock on its first switch, so two first switches cannot both make one."""
    state = ModeState.objects.select_for_update().filter(area=community).first()
    if state is not None:
        return state
    Area.objects.select_for_update().filter(pk=community.pk).first()
    state = ModeState.objects.select_for_update().filter(area=community).first()
    if state is None:
        state = ModeState.objects.create(
            area=community, area_path=community.path, mode=Mode.NORMAL, since=now
        )
    return state


def _start_sunset(path: str, *, began: dt.datetime | None, until: dt.date) -> int:
    """Set `retain_until` to `until` on every retained record lying in `path` and made
    since `began`; returns how many. Records of models that say neither where they lie nor
    when they were made are left to their own dates."""
    total = 0
    for model in sunset.retained_models():
        field, made = sunset.retention_path_of(model), sunset.recorded_at_of(model)
        if field is None or made is None:
            continue
        rows = access.within_column(model._default_manager.all(), field, path)
        if began is not None:
            rows = rows.filter(**{f"{made}__gte": began})
        total += model._default_manager.filter(pk__in=rows.values("pk")).update(retain_until=until)
    return total


# --- the announcement (after the commit) --------------------------------------------------------


def announcement_text(switch: ModeSwitch, community_name: str) -> tuple[str, str]:
    """The title and the SMS line: the community and the mode, nothing about a resident."""
    if switch.to_mode == Mode.EMERGENCY:
        title = _("%(community)s is in emergency mode (%(kind)s)") % {
            "community": community_name,
            "kind": EmergencyKind(switch.kind).label,
        }
        line = _("Emergency duties and services apply from now; watch for the community's notices.")
    else:
        title = _("%(community)s is back in normal mode") % {"community": community_name}
        line = _("Normal work resumes; data collected during the emergency will be deleted.")
    return title, line


def announce(switch_id: int) -> None:
    """Publish the urgent notice and text the community's staff and helpers. A failure is
    logged (ids only) and does not undo the switch."""
    from gongzhi.notices.models import NoticeKind
    from gongzhi.notices.services import notice_publish
    from gongzhi.notifications.services import notify

    switch = ModeSwitch.objects.select_related("area").get(pk=switch_id)
    community = switch.area
    title, line = announcement_text(switch, community.name)
    body = "\n\n".join(
        [
            line,
            _("Reason: %(reason)s") % {"reason": switch.reason},
            _("Switched at %(at)s.")
            % {"at": timezone.localtime(switch.at).strftime("%Y-%m-%d %H:%M")},
        ]
    )
    try:
        notice = notice_publish(
            actor=None, title=title, body=body, kind=NoticeKind.URGENT, targets=[community]
        )
        ModeSwitch.objects.filter(pk=switch.pk).update(notice_id=notice.pk)
    except (ValidationError, NotFound):
        logger.exception("mode switch %s: the notice was not published", switch.pk)
    staff, helpers = told_about(community.path)
    notify(
        recipients=staff, kind="emergency.switch", title=title, body=line,
        url=reverse("emergency:home"), sms=True,
    )  # fmt: skip
    notify(
        recipients=[u for u in helpers if u.pk not in {s.pk for s in staff}],
        kind="emergency.switch", title=title, body=line,
        url=reverse("emergency_home_m:index"), sms=True,
    )  # fmt: skip


def told_about(path: str) -> tuple[list[Any], list[Any]]:
    """The active users holding a staff role, and those holding a helper role (party
    member, volunteer), anywhere in the community at `path`; each user once."""
    rows = access.within_column(
        Membership.objects.filter(
            is_active=True, user__is_active=True, role__in=[*TOLD_STAFF, *TOLD_HELPERS]
        ),
        "area__path",
        path,
    ).select_related("user")
    staff: dict[int, Any] = {}
    helpers: dict[int, Any] = {}
    for m in rows.order_by("pk"):
        (staff if m.role in TOLD_STAFF else helpers).setdefault(m.user_id, m.user)
    return list(staff.values()), [u for pk, u in helpers.items() if pk not in staff]


# --- what each mode turns on (the profile) -----------------------------------------------------


def _url_names(errors: dict[str, list[Any]], key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.setdefault(key, []).append(_("%(key)s: a list of page names.") % {"key": key})
        return []
    if len(value) > LINKS_MAX:
        errors.setdefault(key, []).append(
            _("%(key)s: at most %(max)d pages.") % {"key": key, "max": LINKS_MAX}
        )
    if len(set(value)) != len(value):
        errors.setdefault(key, []).append(_("%(key)s: a page is listed twice.") % {"key": key})
    for name in value:
        try:
            reverse(name)
        except NoReverseMatch:
            errors.setdefault(key, []).append(
                _("%(key)s: “%(name)s” is not a page that opens without parameters.")
                % {"key": key, "name": name[:80]}
            )
    return list(value)


def _sla_factor(errors: dict[str, list[Any]], value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not SLA_FACTOR_MIN <= float(value) <= SLA_FACTOR_MAX:
        errors.setdefault("sla_factor", []).append(
            _("sla_factor: a number from %(min)s to %(max)s (0.5 = deadlines twice as near).")
            % {"min": SLA_FACTOR_MIN, "max": SLA_FACTOR_MAX}
        )
        return 1.0
    return float(value)


def _duties(errors: dict[str, list[Any]], value: Any) -> list[dict[str, str]]:
    def bad(n: int, rule: str) -> None:
        errors.setdefault("duties", []).append(
            _("duties, item %(n)d: %(rule)s") % {"n": n, "rule": rule}
        )

    if not isinstance(value, list):
        errors.setdefault("duties", []).append(_("duties: a list of {title, role, time} items."))
        return []
    if len(value) > DUTIES_MAX:
        errors.setdefault("duties", []).append(
            _("duties: at most %(max)d items.") % {"max": DUTIES_MAX}
        )
    out = []
    for n, item in enumerate(value, 1):
        if not isinstance(item, dict) or set(item) != {"title", "role", "time"}:
            bad(n, _("exactly the keys title, role and time."))
            continue
        title = item["title"].strip() if isinstance(item["title"], str) else ""
        if not title or len(title) > DUTY_TITLE_MAX:
            bad(n, _("title: 1 to %(max)d characters.") % {"max": DUTY_TITLE_MAX})
        if item["role"] not in Role.values:
            bad(n, _("role: one of %(roles)s.") % {"roles": ", ".join(Role.values)})
        if not isinstance(item["time"], str) or not _TIME.match(item["time"]):
            bad(n, _("time: HH:MM, from 00:00 to 23:59."))
        out.append({"title": title, "role": str(item["role"]), "time": str(item["time"])})
    return out


def _dashboards(errors: dict[str, list[Any]], value: Any) -> list[str]:
    if (
        not isinstance(value, list)
        or not all(isinstance(v, str) and v in modes.PANELS for v in value)
        or len(set(value)) != len(value)
    ):
        errors.setdefault("dashboards", []).append(
            _("dashboards: a list of panels, each once, from %(panels)s.")
            % {"panels": ", ".join(modes.PANELS)}
        )
        return []
    return list(value)


def profile_clean(config: Any) -> dict[str, Any]:
    """The config checked key by key (a key left out takes the default); a
    ValidationError whose fields are the keys, each message naming the key and the rule."""
    if not isinstance(config, dict):
        raise ValidationError({"config": [_("The profile is an object of keys and values.")]})
    errors: dict[str, list[Any]] = {}
    known = modes.DEFAULT_PROFILES[Mode.NORMAL].keys()
    for key in config:
        if key not in known:
            errors.setdefault("config", []).append(
                _("“%(key)s” is not a key of a profile (keys: %(keys)s).")
                % {"key": str(key)[:40], "keys": ", ".join(known)}
            )
    cleaned: dict[str, Any] = {}
    if "portal_services" in config:
        cleaned["portal_services"] = _url_names(
            errors, "portal_services", config["portal_services"]
        )
    if "workbench_links" in config:
        cleaned["workbench_links"] = _url_names(
            errors, "workbench_links", config["workbench_links"]
        )
    if "sla_factor" in config:
        cleaned["sla_factor"] = _sla_factor(errors, config["sla_factor"])
    if "duties" in config:
        cleaned["duties"] = _duties(errors, config["duties"])
    if "dashboards" in config:
        cleaned["dashboards"] = _dashboards(errors, config["dashboards"])
    if errors:
        raise ValidationError(errors)
    return cleaned


def profile_save(*, actor: Actor, area: Area, mode: Any, config: Any, reason: Any) -> ModeProfile:
    """Save the community's next version of what `mode` turns on (never an edit of one),
    with why; audited by version number."""
    community = _community(actor, Perm.EMERGENCY_PLAN, area)
    errors: dict[str, list[Any]] = {}
    if mode not in Mode.values:
        errors.setdefault("mode", []).append(_("Choose normal or emergency mode."))
    reason = text_field(errors, "reason", reason, REASON_MAX, required=True, one_line=True)
    cleaned: dict[str, Any] = {}
    try:
        cleaned = profile_clean(config)
    except ValidationError as exc:
        for key, found in exc.error_dict.items():
            errors.setdefault(key, []).extend(found)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Area.objects.select_for_update().filter(pk=community.pk).first()  # one version at a time
        last = ModeProfile.objects.filter(area=community, mode=mode).aggregate(v=Max("version"))
        profile = ModeProfile.objects.create(
            area=community, area_path=community.path, mode=mode, version=(last["v"] or 0) + 1,
            config=cleaned, reason=reason, created_by=_user(actor),
        )  # fmt: skip
        audit_record(
            actor=actor,
            action="emergency.profile_save",
            obj=profile,
            object_label=community.name,
            area_path=community.path,
            purpose=system_purpose("mode_profile", mode=mode, version=profile.version),
        )
    return profile


# --- the hooks lower apps read ------------------------------------------------------------------


def sla_factor_at(path: str) -> float:
    """Work orders' share of their SLA's minutes at `path`: the community's profile in
    force for its current mode (1.0 outside any community)."""
    info = modes.mode_of(path)
    if not info.community_path:
        return 1.0
    return float(modes.profile_in_force(info.community_path, info.mode).get("sla_factor", 1.0))


def paths_on_hold() -> list[str]:
    """The communities in emergency mode: the purge keeps their records until they switch
    back (then the switch sets the date)."""
    return list(ModeState.objects.filter(mode=Mode.EMERGENCY).values_list("area_path", flat=True))
