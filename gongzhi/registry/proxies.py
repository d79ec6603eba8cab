"""Family proxies (数字反哺): a resident acts for an elderly parent.

A signed-in resident asks on /m/, naming the parent by name and ID number or mobile
number. The details are matched on the register's blind indexes (never decrypting it);
whatever the outcome the resident is told only "request sent", and the request waits —
one that matched nobody simply never gets an answer, so the page reveals nothing about
whether the person exists or where. A matched request goes to the grid worker and the
building head of the person's building (`proxy.confirm` there), who confirm it (a
`ProxyLink` through `accounts.services.proxy_link_create`) or refuse it, saying why.
Either side ends a link (`proxy_link_end`): the resident from /m/, the parent's side
through staff. Staff may also link someone on the spot from the person's page.

Audit entries name the request and the link by id; no name, ID number or phone typed
into a request is kept, only the person it matched.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.models import (
    ProxyLink,
    ProxyRelation,
    ProxyRequest,
    ProxyRequestStatus,
    Role,
    User,
)
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.services import (
    normalize_mobile,
    proxy_link_create,
    proxy_link_end,
    user_create,
    user_for_phone,
    user_set_phone,
)
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, identity
from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.core.masking import mask_text
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.notifications.services import notify
from gongzhi.registry import rows
from gongzhi.registry.models import PRESENT_RESIDENCY, Person

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor, Viewer

PENDING_MAX = 3  # requests one resident may have waiting at once
LABEL_MAX = 20
REASON_MIN = 2
REASON_MAX = 200
# Who is asked to confirm: those who know the family (building head, grid worker).
CONFIRMERS = (Role.BUILDING_HEAD, Role.GRID_WORKER)


def _relation_label(errors: dict[str, list[str]], relation: str, label: str) -> str:
    if relation not in ProxyRelation.values:
        errors.setdefault("relation", []).append(_("Choose how they are related."))
    return text_field(errors, "label", label, LABEL_MAX, one_line=True)


def _match(name: str, id_number: str, phone: str) -> Person | None:
    """The one present person with this name and ID number (or mobile number), or None."""
    persons = Person.objects.filter(residency__in=PRESENT_RESIDENCY)
    if id_number:
        persons = persons.filter(id_number_index=rows.id_number_index(id_number))
    if phone:
        persons = persons.filter(phone_index=rows.phone_index(phone))
    found = [p for p in persons.only("pk", "name", "area_path")[:5] if p.name == name]
    return found[0] if len(found) == 1 else None


# --- the resident's side ---------------------------------------------------------------------


@transaction.atomic
def proxy_request_create(
    *,
    actor: User,
    name: str,
    id_number: str = "",
    phone: str = "",
    relation: str,
    label: str = "",
) -> ProxyRequest:
    """Ask to act for a family member. The answer is the same whether or not anyone
    matched: the request, waiting."""
    errors: dict[str, list[str]] = {}
    try:
        name = identity.normalize_name(name)
    except ValidationError as exc:
        errors.setdefault("name", []).extend(exc.messages)
    number = ""
    if id_number.strip():
        try:
            number = identity.parse_resident_id(id_number).number
        except ValidationError as exc:
            errors.setdefault("id_number", []).extend(exc.messages)
    mobile = ""
    if phone.strip():
        try:
            mobile = normalize_mobile(phone)
        except ValidationError as exc:
            errors.update({k: [str(m) for m in v] for k, v in exc.message_dict.items()})
    if not id_number.strip() and not phone.strip():
        errors.setdefault("id_number", []).append(
            _("Enter their ID number or their mobile number.")
        )
    label = _relation_label(errors, relation, label)
    waiting = ProxyRequest.objects.filter(user=actor, status=ProxyRequestStatus.PENDING)
    if waiting.count() >= PENDING_MAX:
        errors.setdefault("__all__", []).append(
            _("You have %(max)d requests waiting; withdraw one or wait for an answer.")
            % {"max": PENDING_MAX}
        )
    raise_errors(errors)
    person = _match(name, number, mobile)
    if person is not None and person.pk == actor.person_id:
        person = None  # one does not act for oneself; said no differently than a miss
    # Always a new row, even for a repeat: how the list grows says nothing either.
    request = ProxyRequest.objects.create(
        user=actor,
        person=person,
        area_path=person.area_path if person is not None else "",
        relation=relation,
        label=label,
    )
    audit_record(
        actor=actor,
        action="proxy.request",
        obj=request,
        object_label=f"#{request.pk}",
        area_path=request.area_path,
        fields=["relation", "label"],
    )
    if person is not None:
        transaction.on_commit(lambda: _tell_confirmers(request.pk))
    return request


@transaction.atomic
def proxy_request_withdraw(*, actor: User, request: ProxyRequest) -> ProxyRequest:
    if request.user_id != actor.pk:
        raise NotFound()
    request = _locked(request)
    request.status = ProxyRequestStatus.WITHDRAWN
    request.decided_at = clock.now()
    request.save()
    _audit(actor, "proxy.request_withdraw", request)
    return request


def proxy_requests_of(user: Viewer) -> QuerySet[ProxyRequest]:
    """The resident's own requests: status, relation and what they call the person only."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return ProxyRequest.objects.none()
    return ProxyRequest.objects.filter(user_id=user.pk).order_by("-created_at", "-id")


def proxy_link_end_own(*, actor: User, link_id: Any) -> ProxyLink:
    """The resident stops acting for someone."""
    link = get_by_id(ProxyLink.objects.filter(user=actor, is_active=True), link_id)
    return proxy_link_end(link=link, actor=actor, area_path=_path_of(link.person_id))


# --- the person's side -------------------------------------------------------------------------


def _audit(actor: Actor, action: str, request: ProxyRequest) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=request,
        object_label=f"#{request.pk}",
        area_path=request.area_path,
        fields=["status"],
    )


def _locked(request: ProxyRequest) -> ProxyRequest:
    request = ProxyRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ProxyRequestStatus.PENDING:
        raise ValidationError(
            {
                "__all__": [
                    _("This request is %(status)s already.")
                    % {"status": ProxyRequestStatus(request.status).label.lower()}
                ]
            }
        )
    return request


def _path_of(person_id: Any) -> str:
    return Person.objects.filter(pk=person_id).values_list("area_path", flat=True).first() or ""


@transaction.atomic
def proxy_request_decide(
    *, actor: Actor, request: ProxyRequest, approve: bool, reason: str = ""
) -> ProxyRequest:
    """The grid worker or building head of the person's building (`proxy.confirm` where
    the person lives now) confirms — the resident may act for them from now on — or
    refuses, saying why (the resident reads it)."""
    request = _locked(request)
    if request.person_id is None:
        raise NotFound()
    person = Person.objects.get(pk=request.person_id)
    access.require(actor, Perm.PROXY_CONFIRM, person.area_path)
    errors: dict[str, list[str]] = {}
    if approve:
        existing = ProxyLink.objects.filter(
            user_id=request.user_id, person=person, is_active=True
        ).first()
        request.link = existing or proxy_link_create(
            user=request.user,
            person=person,
            relation=request.relation,
            label=request.label,
            actor=actor,
        )
        request.status = ProxyRequestStatus.APPROVED
    else:
        text = text_field(errors, "reason", reason, REASON_MAX, required=True)
        if text and len(text) < REASON_MIN and "reason" not in errors:
            errors.setdefault("reason", []).append(
                _("Write at least %(min)d characters.") % {"min": REASON_MIN}
            )
        raise_errors(errors)
        request.refusal_reason = mask_text(text)
        request.status = ProxyRequestStatus.REFUSED
    request.decided_by = actor
    request.decided_at = clock.now()
    request.area_path = person.area_path
    request.save()
    _audit(actor, "proxy.request_approve" if approve else "proxy.request_refuse", request)
    transaction.on_commit(lambda: _tell_requester(request.pk))
    return request


def _account_for_phone(phone: str, name: str) -> User:
    """The account with this mobile number; a new one (no role) for a number none has,
    so the family member can sign in on /m/ with an SMS code."""
    user = user_for_phone(phone)
    if user is None:
        user = user_create(username=f"f-{secrets.token_hex(5)}", password=None, display_name=name)
        user_set_phone(user=user, phone=phone)
    return user


@transaction.atomic
def proxy_link_add(
    *, actor: Actor, person: Person, phone: str, relation: str, label: str = "", name: str = ""
) -> ProxyLink:
    """Staff link a family member on the spot (at the service desk), by their mobile
    number; an account is made for a number that has none."""
    access.require(actor, Perm.PROXY_CONFIRM, person.area_path)
    errors: dict[str, list[str]] = {}
    mobile = ""
    try:
        mobile = normalize_mobile(phone)
    except ValidationError as exc:
        errors.update({k: [str(m) for m in v] for k, v in exc.message_dict.items()})
    label = _relation_label(errors, relation, label)
    name = text_field(errors, "name", name, identity.NAME_MAX, one_line=True)
    raise_errors(errors)
    user = _account_for_phone(mobile, name)
    link = proxy_link_create(user=user, person=person, relation=relation, label=label, actor=actor)
    waiting = ProxyRequest.objects.select_for_update().filter(
        user=user, person=person, status=ProxyRequestStatus.PENDING
    )
    for request in waiting:
        request.status = ProxyRequestStatus.APPROVED
        request.link = link
        request.decided_by = actor
        request.decided_at = clock.now()
        request.save()
        _audit(actor, "proxy.request_approve", request)
    return link


def proxy_link_end_for_person(*, actor: Actor, person: Person, link_id: Any) -> ProxyLink:
    """The person's side ends a link (through their grid worker or building head)."""
    link = get_by_id(ProxyLink.objects.filter(person=person, is_active=True), link_id)
    return proxy_link_end(link=link, actor=actor, area_path=person.area_path)


# --- who is told -------------------------------------------------------------------------------


def confirmers(path: str) -> list[User]:
    """The building head and grid worker(s) of the person's building."""
    memberships = access.holders(Perm.PROXY_CONFIRM, path, nearest=False, roles=CONFIRMERS)
    return sorted({m.user for m in memberships}, key=lambda u: u.pk)


def _tell_confirmers(request_id: int) -> None:
    request = ProxyRequest.objects.get(pk=request_id)
    notify(
        recipients=confirmers(request.area_path),
        kind="proxy.requested",
        title=_("Proxy request #%(id)d: a family member asks to act for a resident")
        % {"id": request.pk},
        body=_("Check with the family that they know each other, then confirm or refuse."),
        url=reverse("registry:proxy_list"),
        actor=request.user,
        obj=request,
    )


def _tell_requester(request_id: int) -> None:
    request = ProxyRequest.objects.get(pk=request_id)
    if request.status == ProxyRequestStatus.APPROVED:
        title = _("Your proxy request is confirmed: you can act for %(who)s") % {
            "who": request.label or request.get_relation_display()
        }
        body = _("Choose them under “Acting for” on the home page.")
    else:
        title = _("Your proxy request was not confirmed")
        body = request.refusal_reason
    notify(
        recipients=[request.user_id],
        kind=f"proxy.request_{request.status}",
        title=title,
        body=body,
        url=reverse("portal:family"),
        sms=True,
        actor=request.decided_by,
        obj=request,
    )


# --- reads for staff ---------------------------------------------------------------------------


def proxy_requests_for(*, user: Viewer, status: str = "") -> QuerySet[ProxyRequest]:
    """Requests for persons where the user confirms proxies; matched ones only."""
    requests = access.restrict(
        ProxyRequest.objects.filter(person__isnull=False), user, Perm.PROXY_CONFIRM
    )
    if status:
        requests = requests.filter(status=status)
    return requests.select_related("person__household", "user", "decided_by").order_by(
        "-created_at", "-id"
    )


def proxy_request_get_for(*, user: Viewer, request_id: Any) -> ProxyRequest:
    return get_by_id(proxy_requests_for(user=user), request_id)


def proxy_links_of_person(person: Person) -> list[ProxyLink]:
    """Who may act for the person (the caller has checked the viewer may see them)."""
    return list(
        ProxyLink.objects.filter(person=person, is_active=True)
        .select_related("user", "confirmed_by")
        .order_by("created_at", "pk")
    )
