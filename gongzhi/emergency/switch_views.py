"""The mode page (/emergency/): the communities in the user's scope with their mode, the
switch (with a confirm step) for those who may switch, the history; the profiles page (what
each mode turns on, JSON with a readable table and the versions); the emergency home. And
the residents' /m/emergency/. Thin: reads from `mode_selectors` and `home`, writes through
`switching`."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.accounts import acting
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.models import Role
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import NotFound
from gongzhi.emergency import home as emergency_home
from gongzhi.emergency import mode_selectors, modes, switching
from gongzhi.emergency.models import EmergencyKind, Mode

portal_login_required = partial(login_required, login_url="portal:login")


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}


@requires(Perm.EMERGENCY_VIEW)
@require_GET
def index(request: SignedInRequest) -> HttpResponse:
    return _index(request, {})


def _index(
    request: SignedInRequest, errors: dict[str, list[str]], status: int = 200
) -> HttpResponse:
    user = request.user
    return render(
        request,
        "emergency/modes/index.html",
        {
            "rows": mode_selectors.modes_for(user),
            "history": mode_selectors.history_for(user),
            "kinds": EmergencyKind.choices,
            "errors": errors,
            "posted": request.POST if request.method == "POST" else {},
        },
        status=status,
    )


@requires(Perm.EMERGENCY_SWITCH)
@require_POST
def switch(request: SignedInRequest) -> HttpResponse:
    """First POST: the confirm step (what will happen); with `confirm`, the switch."""
    chosen = request.POST.get("community", "")
    if not chosen:
        return _index(request, {"community": [_("Choose a community.")]}, status=400)
    community = mode_selectors.community_get_for(request.user, Perm.EMERGENCY_SWITCH, chosen)
    to_mode = request.POST.get("mode", "")
    kind = request.POST.get("kind", "")
    reason = request.POST.get("reason", "")
    if request.POST.get("confirm") != "1":
        info = modes.mode_of(community.path)
        return render(
            request,
            "emergency/modes/confirm.html",
            {
                "community": community,
                "info": info,
                "to_mode": to_mode,
                "to_label": Mode(to_mode).label if to_mode in Mode.values else "",
                "kind": kind,
                "kind_label": EmergencyKind(kind).label if kind in EmergencyKind.values else "",
                "reason": reason,
                "sunset_days": switching.sunset_days(),
                "staff_count": sum(len(x) for x in switching.told_about(community.path)),
            },
        )
    try:
        done = switching.mode_switch(
            actor=request.user, area=community, to_mode=to_mode, kind=kind, reason=reason
        )
    except ValidationError as exc:
        return _index(request, _errors(exc), status=400)
    if done.to_mode == Mode.EMERGENCY:
        messages.success(
            request, _("%(community)s is in emergency mode.") % {"community": community.name}
        )
    else:
        messages.success(
            request,
            _("%(community)s is back in normal mode; data of the emergency is kept until %(day)s.")
            % {"community": community.name, "day": done.sunset_on},
        )
    return redirect("emergency:index")


def _readable(config: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """What is in force as rows of (key, values in words)."""
    rows = []
    for key in ("portal_services", "workbench_links"):
        rows.append(
            (key, [f"{emergency_home.PAGE_LABELS.get(n, n)} ({n})" for n in config.get(key, [])])
        )
    rows.append(("sla_factor", [str(config.get("sla_factor", 1.0))]))
    rows.append(
        (
            "duties",
            [
                f"{d.get('time')} · {Role(d['role']).label if d.get('role') in Role.values else d.get('role')} · {d.get('title')}"
                for d in config.get("duties", [])
            ],
        )
    )
    rows.append(("dashboards", list(config.get("dashboards", []))))
    return rows


@requires(Perm.EMERGENCY_PLAN)
@require_http_methods(["GET", "POST"])
def profiles(request: SignedInRequest) -> HttpResponse:
    user = request.user
    communities = list(mode_selectors.communities_for(user, Perm.EMERGENCY_PLAN))
    chosen = request.POST.get("community") or request.GET.get("community")
    if chosen:
        community = mode_selectors.community_get_for(user, Perm.EMERGENCY_PLAN, chosen)
    elif communities:
        community = communities[0]
    else:
        raise NotFound()
    mode = request.POST.get("mode") or request.GET.get("mode") or Mode.EMERGENCY
    if mode not in Mode.values:
        mode = Mode.EMERGENCY
    in_force = modes.profile_in_force(community.path, mode)
    text = json.dumps(in_force, ensure_ascii=False, indent=2)
    reason = ""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        text = request.POST.get("config", "")
        reason = request.POST.get("reason", "")
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            errors["config"] = [
                _("This is not valid JSON (line %(line)s, column %(col)s).")
                % {"line": getattr(exc, "lineno", "?"), "col": getattr(exc, "colno", "?")}
            ]
        if not errors:
            try:
                saved = switching.profile_save(
                    actor=user, area=community, mode=mode, config=parsed, reason=reason
                )
            except ValidationError as exc:
                errors = _errors(exc)
            else:
                messages.success(
                    request,
                    _("Version %(version)s of the profile is in force.")
                    % {"version": saved.version},
                )
                return redirect(
                    f"{reverse('emergency:profiles')}?community={community.pk}&mode={mode}"
                )
    config_errors = [m for k, v in errors.items() if k != "reason" for m in v]
    return render(
        request,
        "emergency/modes/profiles.html",
        {
            "communities": communities,
            "community": community,
            "mode": mode,
            "modes": Mode.choices,
            "readable": _readable(in_force),
            "versions": mode_selectors.profile_versions_for(user, community, mode),
            "text": text,
            "reason": reason,
            "errors": errors,
            "config_errors": config_errors,
            "default_text": json.dumps(modes.DEFAULT_PROFILES[mode], ensure_ascii=False, indent=2),
            "panels": modes.PANELS,
            "roles": Role.values,
        },
        status=400 if errors else 200,
    )


@requires(Perm.EMERGENCY_VIEW)
@require_GET
def home(request: SignedInRequest) -> HttpResponse:
    """The emergency home on its own: each emergency community's banner, duties, links."""
    return render(
        request,
        "emergency/modes/home.html",
        {"banners": emergency_home.workbench_banners(request.user)},
    )


@portal_login_required
@require_GET
def m_home(request: SignedInRequest) -> HttpResponse:
    """The residents' emergency page: their community's banner and services, or that all
    is normal."""
    banner = emergency_home.resident_banner(acting.acting_person_id(request), request.user)
    return render(request, "emergency/modes/m_home.html", {"banner": banner})
