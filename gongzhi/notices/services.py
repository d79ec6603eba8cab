"""Writes of notices: publish, edit, pin, withdraw, read receipts, and the SMS reminders
of urgent notices to elders who have not read them."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, scope
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.fields import reveal
from gongzhi.core.lookup import parse_id
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.notices import policy, selectors, uploads
from gongzhi.notices.models import (
    BODY_MAX,
    SMS_DELAY_DEFAULT,
    SMS_DELAY_MAX,
    SMS_DELAY_MIN,
    TITLE_MAX,
    Notice,
    NoticeAttachment,
    NoticeKind,
    NoticeReceipt,
    NoticeReminder,
    NoticeTarget,
)
from gongzhi.notifications.services import sms_send, sms_text
from gongzhi.registry.models import Area, Person

if TYPE_CHECKING:
    from gongzhi.accounts.models import User
    from gongzhi.accounts.types import Actor

logger = logging.getLogger(__name__)
MAX_TARGETS = 50
# Urgent notices published longer ago than this are no longer reminded about.
REMINDER_WINDOW = dt.timedelta(days=3)


def common_ancestor(paths: Iterable[str]) -> str:
    """The lowest node whose subtree holds every path (a path is its own ancestor)."""
    chains = [scope.ancestors(p, inclusive=True) for p in paths]
    if not chains:
        raise ValueError("no paths")
    common = ""
    for nodes in zip(*chains, strict=False):
        if len(set(nodes)) != 1:
            break
        common = nodes[0]
    return common


def _clean_targets(
    errors: dict[str, list[Any]], actor: Actor, targets: Iterable[Any]
) -> list[Area]:
    ids: list[int] = []
    for raw in targets or ():
        try:
            ids.append(parse_id(raw.pk if isinstance(raw, Area) else raw))
        except NotFound:  # an unreadable id is "no such area" too
            ids.append(0)
    ids = list(dict.fromkeys(ids))
    if not ids:
        errors.setdefault("targets", []).append(
            _("Choose at least one community, grid or building.")
        )
        return []
    if len(ids) > MAX_TARGETS:
        errors.setdefault("targets", []).append(_("At most %(n)d areas.") % {"n": MAX_TARGETS})
        return []
    found = {
        a.pk: a
        for a in Area.objects.filter(
            pk__in=[i for i in ids if i], kind__in=selectors.TARGET_KINDS, closed_at__isnull=True
        )
    }
    areas = []
    for area_id in ids:
        area = found.get(area_id)
        if area is None or (
            actor is not None and not access.can(actor, Perm.NOTICE_PUBLISH, area.path)
        ):
            errors.setdefault("targets", []).append(
                _("No such community, grid or building in your area.")
            )
            return []
        areas.append(area)
    return areas


def _clean(
    *,
    actor: Actor,
    title: Any,
    body: Any,
    kind: Any,
    targets: Iterable[Any],
    published_at: dt.datetime | None,
    expires_at: dt.datetime | None,
    sms_delay_minutes: Any,
) -> dict[str, Any]:
    errors: dict[str, list[Any]] = {}
    data: dict[str, Any] = {
        "title": text_field(errors, "title", title, TITLE_MAX, required=True, one_line=True),
        "body": text_field(errors, "body", body, BODY_MAX, required=True),
    }
    if kind not in NoticeKind.values:
        errors.setdefault("kind", []).append(_("Choose news, policy or urgent."))
    data["kind"] = kind
    data["areas"] = _clean_targets(errors, actor, targets)
    data["published_at"] = published_at or clock.now()
    if expires_at is not None and expires_at <= data["published_at"]:
        errors.setdefault("expires_at", []).append(_("Must be after the publish time."))
    data["expires_at"] = expires_at
    delay = SMS_DELAY_DEFAULT if sms_delay_minutes in (None, "") else sms_delay_minutes
    try:
        delay = int(delay)
    except (TypeError, ValueError):
        delay = -1
    if not SMS_DELAY_MIN <= delay <= SMS_DELAY_MAX:
        errors.setdefault("sms_delay_minutes", []).append(
            _("Between %(min)d and %(max)d minutes.") % {"min": SMS_DELAY_MIN, "max": SMS_DELAY_MAX}
        )
    data["sms_delay_minutes"] = delay
    raise_errors(errors)
    return data


def _attach(
    *, notice: Notice, files: Sequence[uploads.CleanFile], actor: Actor, stored: uploads.StoredFiles
) -> None:
    now = clock.now()
    for clean in files:
        path = uploads.store(clean)
        stored.paths.append(path)
        NoticeAttachment.objects.create(
            notice=notice, name=clean.name, path=path, content_type=clean.content_type,
            size=len(clean.data), sha256=clean.sha256,
            uploaded_by=actor if getattr(actor, "pk", None) else None, uploaded_at=now,
        )  # fmt: skip


def _set_targets(notice: Notice, areas: list[Area]) -> None:
    notice.targets.all().delete()
    NoticeTarget.objects.bulk_create(
        NoticeTarget(notice=notice, area=a, path=a.path) for a in areas
    )


def notice_publish(
    *,
    actor: Actor,
    title: Any,
    body: Any,
    kind: Any = NoticeKind.NEWS,
    targets: Iterable[Any],
    pinned: bool = False,
    published_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    sms_delay_minutes: Any = SMS_DELAY_DEFAULT,
    attachments: Sequence[Any] = (),
) -> Notice:
    """Publish a notice (now, or at `published_at`) for areas where the actor may
    notice.publish. Every problem comes back at once, each naming its field."""
    data = _clean(
        actor=actor, title=title, body=body, kind=kind, targets=targets,
        published_at=published_at, expires_at=expires_at, sms_delay_minutes=sms_delay_minutes,
    )  # fmt: skip
    files = uploads.clean_files(list(attachments))
    areas = data.pop("areas")
    with uploads.StoredFiles() as stored, transaction.atomic():
        notice = Notice.objects.create(
            **data,
            pinned=bool(pinned),
            area_path=common_ancestor(a.path for a in areas),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        _set_targets(notice, areas)
        _attach(notice=notice, files=files, actor=actor, stored=stored)
        audit_record(actor=actor, action="notice.publish", obj=notice, area_path=notice.area_path)
    return notice


def _require_manage(actor: Actor, notice: Notice) -> None:
    if actor is not None and not policy.may_manage(actor, notice):
        raise Forbidden()


def notice_update(
    *,
    actor: Actor,
    notice: Notice,
    title: Any,
    body: Any,
    kind: Any,
    targets: Iterable[Any],
    pinned: bool,
    published_at: dt.datetime | None,
    expires_at: dt.datetime | None,
    sms_delay_minutes: Any = SMS_DELAY_DEFAULT,
    attachments: Sequence[Any] = (),
    remove_attachments: Iterable[int] = (),
) -> Notice:
    """Correct a notice that is not withdrawn; receipts stay (a correction is not a new
    notice)."""
    _require_manage(actor, notice)
    if notice.is_withdrawn:
        raise ValidationError({"__all__": [_("A withdrawn notice cannot be edited.")]})
    data = _clean(
        actor=actor, title=title, body=body, kind=kind, targets=targets,
        published_at=published_at or notice.published_at, expires_at=expires_at,
        sms_delay_minutes=sms_delay_minutes,
    )  # fmt: skip
    removing = set(int(i) for i in remove_attachments)
    kept = notice.attachments.exclude(pk__in=removing).count()
    files = uploads.clean_files(list(attachments), already=kept)
    areas = data.pop("areas")
    with uploads.StoredFiles() as stored, transaction.atomic():
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        for name, value in data.items():
            setattr(locked, name, value)
        locked.pinned = bool(pinned)
        locked.area_path = common_ancestor(a.path for a in areas)
        locked.save()
        _set_targets(locked, areas)
        gone = list(locked.attachments.filter(pk__in=removing))
        for attachment in gone:
            transaction.on_commit(partial(uploads.remove_stored, attachment.path))
            attachment.delete()
        _attach(notice=locked, files=files, actor=actor, stored=stored)
        audit_record(actor=actor, action="notice.edit", obj=locked, area_path=locked.area_path)
    return locked


@transaction.atomic
def notice_set_pinned(*, actor: Actor, notice: Notice, pinned: bool) -> Notice:
    _require_manage(actor, notice)
    Notice.objects.filter(pk=notice.pk).update(pinned=bool(pinned), updated_at=clock.now())
    notice.pinned = bool(pinned)
    audit_record(
        actor=actor,
        action="notice.pin" if pinned else "notice.unpin",
        obj=notice,
        area_path=notice.area_path,
    )
    return notice


@transaction.atomic
def notice_withdraw(*, actor: Actor, notice: Notice) -> Notice:
    """Take a notice off residents' lists at once; it stays in the staff's archive with
    its receipts. Withdrawing twice changes nothing."""
    _require_manage(actor, notice)
    now = clock.now()
    changed = Notice.objects.filter(pk=notice.pk, withdrawn_at__isnull=True).update(
        withdrawn_at=now,
        withdrawn_by=actor if getattr(actor, "pk", None) else None,
        updated_at=now,
    )
    notice.refresh_from_db()
    if changed:
        audit_record(actor=actor, action="notice.withdraw", obj=notice, area_path=notice.area_path)
    return notice


def notice_mark_read(
    *, notice: Notice, person: Person, user: User | None, by_proxy: bool = False
) -> tuple[NoticeReceipt, bool]:
    """Record that `person` has read `notice` (opened by `user`, for themselves or by
    proxy): one receipt per (notice, person), the first opening counts."""
    try:
        with transaction.atomic():
            return NoticeReceipt.objects.get_or_create(
                notice=notice,
                person=person,
                defaults={
                    "read_by": user if getattr(user, "pk", None) else None,
                    "by_proxy": by_proxy,
                    "read_at": clock.now(),
                },
            )
    except IntegrityError:  # a second tab won the race
        return NoticeReceipt.objects.get(notice=notice, person=person), False


# --- urgent notices: one SMS to each unread elder ------------------------------------------


def _reminder_text(notice: Notice) -> str:
    return sms_text(
        _("Urgent notice: %(title)s") % {"title": notice.title},
        _("please read it in the residents' portal."),
    )


def _account_of(person: Person) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(person=person, is_active=True).first()


def urgent_reminders_send(*, now: dt.datetime | None = None) -> int:
    """For each live urgent notice published at least its `sms_delay_minutes` ago (and
    within REMINDER_WINDOW), text every person aged 65+ in its audience who has not read
    it and has a phone in the register: once per (notice, person), whatever the number of
    runs or workers (the reminder row is unique and written with the SMS). Returns how
    many were queued; never logs a number or a name."""
    now = now or clock.now()
    cutoff = selectors.elder_birth_cutoff(clock.today())
    candidates = Notice.objects.filter(
        selectors.live_q(now), kind=NoticeKind.URGENT, published_at__gte=now - REMINDER_WINDOW
    ).prefetch_related("targets")
    queued = 0
    for notice in candidates:
        if notice.published_at + dt.timedelta(minutes=notice.sms_delay_minutes) > now:
            continue
        persons = (
            selectors.audience_persons(notice)
            .filter(birth_date__lte=cutoff)
            .exclude(phone="")
            .exclude(pk__in=NoticeReceipt.objects.filter(notice=notice).values("person_id"))
            .exclude(pk__in=NoticeReminder.objects.filter(notice=notice).values("person_id"))
        )
        text = _reminder_text(notice)
        for person in persons.iterator(chunk_size=200):
            try:
                with transaction.atomic():
                    reminder = NoticeReminder.objects.create(
                        notice=notice, person=person, sent_at=now
                    )
                    reminder.sms = sms_send(
                        phone=reveal(person.phone), text=text, kind="notice.urgent",
                        recipient=_account_of(person),
                    )  # fmt: skip
                    reminder.save(update_fields=["sms"])
            except IntegrityError:  # another run reminded this person first
                continue
            queued += 1
    if queued:
        logger.info("urgent notices: %d reminders queued", queued)
    return queued
