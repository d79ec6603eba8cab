"""The page of a long export (progress, then the download) and its download: for the
user who asked only; anyone else gets 404."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gongzhi.web import exports
from gongzhi.web.models import ExportStatus

if TYPE_CHECKING:
    from gongzhi.accounts.types import SignedInRequest


@login_required
@require_GET
def export_job(request: SignedInRequest, export_job_id: int) -> HttpResponse:
    job = exports.export_job_get_for(user=request.user, job_id=export_job_id)
    context = {
        "job": job,
        "running": job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING),
        "ready": job.status == ExportStatus.DONE and job.file_path != "",
        "name": exports.export_title(job.export),
    }
    if request.htmx and request.htmx.target == "export-status":
        return render(request, "web/_export_job_status.html", context)
    return render(request, "web/export_job.html", context)


@login_required
@require_GET
def export_job_download(request: SignedInRequest, export_job_id: int) -> HttpResponseBase:
    job = exports.export_job_get_for(user=request.user, job_id=export_job_id)
    return exports.export_job_download(job)
