"""Appending to the audit log and verifying its chain."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction

from gongzhi.audit.models import AuditEntry, AuditHead, AuditVerification
from gongzhi.core import clock, context, crypto
from gongzhi.core.masking import mask_text

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

GENESIS = "genesis"


def _payload(entry: AuditEntry) -> bytes:
    """The canonical bytes an entry's hash covers: every column and the previous hash."""
    return json.dumps(
        [
            entry.seq,
            entry.at.isoformat(timespec="microseconds"),
            entry.actor_id,
            entry.actor_name,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.object_label,
            entry.area_path,
            list(entry.fields),
            entry.purpose,
            entry.ip,
            entry.via,
            entry.prev_hash,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")


def audit_record(
    *,
    actor: Actor,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    object_label: str = "",
    area_path: str = "",
    fields: Iterable[str] = (),
    purpose: str = "",
) -> AuditEntry:
    """Append one entry. Call inside the transaction of the change it records.

    The log is append-only and chained: what goes in cannot be erased. So no personal value
    goes in. Callers record kinds (`fields`, a filter's kind), never values; as a last
    line, any ID number or mobile number in the purpose or label (a purpose typed by a
    user may quote one) is masked here, and an object is labelled by its `audit_label`
    (a person's masked name) where it has one."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_label = object_label or getattr(obj, "audit_label", None) or str(obj)
    purpose, object_label = mask_text(purpose), mask_text(object_label)
    ctx = context.current()
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditHead.objects.create(pk=1, seq=0, hash=GENESIS)
        entry = AuditEntry(
            seq=head.seq + 1,
            at=clock.now(),
            actor_id=getattr(actor, "pk", None),
            actor_name=getattr(actor, "username", "") or "",
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            object_label=object_label[:200],
            area_path=area_path,
            fields=sorted(fields),
            purpose=purpose[:500],
            ip=ctx.ip,
            via=ctx.via,
            prev_hash=head.hash or GENESIS,
        )
        entry.hash = crypto.chain_hash(_payload(entry))
        entry.save(force_insert=True)
        head.seq, head.hash = entry.seq, entry.hash
        head.save(update_fields=["seq", "hash"])
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_broken_seq: int | None = None
    reason: str = ""


def audit_chain_check(batch: int = 5000) -> ChainReport:
    """Walk the chain in order; report the first entry whose hash or link is wrong."""
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    last_seq = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last_seq).order_by("seq")[:batch])
        if not rows:
            break
        for entry in rows:
            count += 1
            if entry.seq != expected_seq:
                return ChainReport(False, count, expected_seq, f"entry #{expected_seq} is missing")
            if entry.prev_hash != expected_prev:
                return ChainReport(
                    False, count, entry.seq, f"entry #{entry.seq} does not link to its predecessor"
                )
            if not crypto.verify_chain_hash(_payload(entry), entry.hash):
                return ChainReport(
                    False, count, entry.seq, f"entry #{entry.seq} was altered (hash mismatch)"
                )
            expected_prev = entry.hash
            expected_seq += 1
            last_seq = entry.seq
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != last_seq or (last_seq and head.hash != expected_prev)):
        return ChainReport(
            False,
            count,
            last_seq + 1,
            f"the chain ends at #{last_seq} but its head says #{head.seq}: entries were removed",
        )
    return ChainReport(True, count)


def audit_verify(*, actor: Actor = None) -> AuditVerification:
    """Check the chain and keep the result, for the auditor's page."""
    report = audit_chain_check()
    return AuditVerification.objects.create(
        at=clock.now(),
        ok=report.ok,
        entries=report.entries,
        first_broken_seq=report.first_broken_seq,
        detail=report.reason,
    )
