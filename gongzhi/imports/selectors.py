"""Reads of imports, through the viewer's scope: a batch is visible to those who may
import on the node it was made in (the uploader's area within the community)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.imports.models import ImportBatch

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer


def import_list_for(*, user: Viewer, status: str = "") -> QuerySet[ImportBatch]:
    batches = ImportBatch.objects.restrict(user, Perm.IMPORT_RUN)
    if status:
        batches = batches.filter(status=status)
    return batches.select_related("created_by", "committed_by", "community").order_by(
        "-created_at", "-pk"
    )


def import_get_for(*, user: Viewer, batch_id: Any) -> ImportBatch:
    batch = get_by_id(
        ImportBatch.objects.select_related("created_by", "committed_by", "community"), batch_id
    )
    if not access.can(user, Perm.IMPORT_RUN, batch.area_path):
        raise NotFound()
    return batch


def import_same_file(batch: ImportBatch) -> ImportBatch | None:
    """An earlier committed import of the very same file into the same community (the
    same bytes: whether importing them again changes anything is the check's to say)."""
    return (
        ImportBatch.objects.filter(
            sha256=batch.sha256, community=batch.community, status="committed", pk__lt=batch.pk
        )
        .order_by("-committed_at")
        .first()
    )
