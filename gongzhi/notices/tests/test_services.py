import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden
from gongzhi.notices import services, uploads
from gongzhi.notices.models import NoticeReceipt
from gongzhi.notices.tests.factories import PDF, pdf, png, publish


def _fields(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.message_dict


def test_grid_worker_publishes_for_a_building_of_their_grid(world):
    notice = publish(world.building_a1, actor=world.grid_worker_a)
    assert [t.path for t in notice.targets.all()] == [world.building_a1.path]
    assert notice.area_path == world.building_a1.path
    entry = AuditEntry.objects.get(action="notice.publish")
    assert entry.area_path == world.building_a1.path


def test_area_path_is_the_lowest_common_ancestor_of_the_targets(world):
    notice = publish(world.building_a1, world.building_a2, actor=world.secretary)
    assert notice.area_path == world.community_a.path


def test_a_notice_without_target_is_refused_naming_targets(world):
    with pytest.raises(ValidationError) as exc:
        publish(actor=world.grid_worker_a)
    assert "targets" in _fields(exc)


def test_grid_worker_cannot_target_another_grid(world):
    with pytest.raises(ValidationError) as exc:
        publish(world.building_a2, actor=world.grid_worker_a)
    assert "targets" in _fields(exc)


def test_grid_worker_cannot_target_the_whole_community(world):
    with pytest.raises(ValidationError) as exc:
        publish(world.community_a, actor=world.grid_worker_a)
    assert "targets" in _fields(exc)


def test_a_resident_cannot_publish(world):
    with pytest.raises(ValidationError) as exc:
        publish(world.building_a1, actor=world.resident)
    assert "targets" in _fields(exc)


def test_a_compound_or_a_street_is_no_target(world):
    with pytest.raises(ValidationError) as exc:
        publish(world.street, actor=None)
    assert "targets" in _fields(exc)


def test_empty_title_and_body_are_refused_each_on_its_field(world):
    with pytest.raises(ValidationError) as exc:
        publish(world.building_a1, actor=world.grid_worker_a, title="  ", body="")
    assert {"title", "body"} <= set(_fields(exc))


def test_expiry_before_publish_is_refused(world):
    now = clock.now()
    with pytest.raises(ValidationError) as exc:
        publish(world.building_a1, published_at=now, expires_at=now - dt.timedelta(hours=1))
    assert "expires_at" in _fields(exc)


def test_sms_delay_is_bounded(world):
    with pytest.raises(ValidationError) as exc:
        publish(world.building_a1, kind="urgent", sms_delay_minutes=1)
    assert "sms_delay_minutes" in _fields(exc)
    with pytest.raises(ValidationError):
        publish(world.building_a1, kind="urgent", sms_delay_minutes=100_000)


def test_unknown_kind_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        publish(world.building_a1, kind="gossip")
    assert "kind" in _fields(exc)


def test_a_pdf_and_an_image_are_stored_privately(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    notice = publish(world.building_a1, attachments=[pdf(), png()])
    files = list(notice.attachments.all())
    assert [f.content_type for f in files] == ["application/pdf", "image/jpeg"]
    assert files[0].name == "停水通知.pdf"
    stored = Path(tmp_path) / "uploads" / files[0].path
    assert stored.read_bytes() == PDF and oct(stored.stat().st_mode)[-3:] == "600"


def test_a_forged_attachment_is_refused(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    html = pdf(b"<html><script>alert(1)</script></html>", name="通知.pdf")
    with pytest.raises(ValidationError) as exc:
        publish(world.building_a1, attachments=[html])
    assert "attachments" in _fields(exc)


def test_a_pdf_with_javascript_is_refused(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    active = PDF.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript/JS(x)>>")
    with pytest.raises(ValidationError) as exc:
        publish(world.building_a1, attachments=[pdf(active)])
    assert "attachments" in _fields(exc)


def test_an_oversize_attachment_is_refused(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    big = pdf(PDF[:-7] + b" " * uploads.MAX_BYTES + b"%%EOF\n")
    with pytest.raises(ValidationError) as exc:
        publish(world.building_a1, attachments=[big])
    assert "attachments" in _fields(exc)


def test_a_refused_notice_leaves_no_file(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    with pytest.raises(ValidationError):
        publish(world.building_a1, title="", attachments=[pdf()])
    assert not list(Path(tmp_path).rglob("*.pdf"))


def test_withdraw_by_a_grid_worker_of_another_grid_is_forbidden(world):
    notice = publish(world.building_a1)
    with pytest.raises(Forbidden):
        services.notice_withdraw(actor=world.grid_worker_b, notice=notice)


def test_grid_worker_cannot_change_the_communitys_notice(world):
    notice = publish(world.community_a, actor=world.secretary)
    with pytest.raises(Forbidden):
        services.notice_set_pinned(actor=world.grid_worker_a, notice=notice, pinned=True)


def test_withdraw_is_audited_once(world):
    notice = publish(world.building_a1)
    services.notice_withdraw(actor=world.grid_worker_a, notice=notice)
    services.notice_withdraw(actor=world.grid_worker_a, notice=notice)
    assert notice.withdrawn_at is not None
    assert AuditEntry.objects.filter(action="notice.withdraw").count() == 1


def test_a_withdrawn_notice_cannot_be_edited(world):
    notice = publish(world.building_a1)
    services.notice_withdraw(actor=None, notice=notice)
    with pytest.raises(ValidationError):
        services.notice_update(
            actor=world.grid_worker_a, notice=notice, title="x", body="y", kind="news",
            targets=[world.building_a1], pinned=False, published_at=None, expires_at=None,
        )  # fmt: skip


def test_edit_keeps_receipts_and_retargets(world):
    notice = publish(world.building_a1, actor=world.secretary)
    services.notice_mark_read(notice=notice, person=world.person_a1, user=None)
    services.notice_update(
        actor=world.secretary, notice=notice, title="改", body="新", kind="policy",
        targets=[world.building_a1, world.building_a2], pinned=True, published_at=None,
        expires_at=None,
    )  # fmt: skip
    notice.refresh_from_db()
    assert notice.area_path == world.community_a.path and notice.pinned
    assert NoticeReceipt.objects.filter(notice=notice).count() == 1


def test_reading_twice_keeps_one_receipt_the_first(world):
    notice = publish(world.building_a1)
    first, created = services.notice_mark_read(
        notice=notice, person=world.person_a1, user=world.resident, by_proxy=True
    )
    again, created_again = services.notice_mark_read(
        notice=notice, person=world.person_a1, user=None
    )
    assert created and not created_again and again.pk == first.pk and again.by_proxy
    assert NoticeReceipt.objects.count() == 1


def test_audit_entries_carry_no_title(world):
    publish(world.building_a1, title="张三家停水")
    entry = AuditEntry.objects.get(action="notice.publish")
    assert "张三" not in f"{entry.object_label}{entry.purpose}"
