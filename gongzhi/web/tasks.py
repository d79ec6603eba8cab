from django_tasks import task

from gongzhi.web import exports


@task()
def run_export(job_id: int) -> str:
    """Write one long list download (safe to run twice)."""
    return exports.export_job_run(job_id=job_id).status


@task()
def prune_exports() -> int:
    """Periodic: remove the files of long downloads past their keeping time."""
    return exports.export_jobs_prune()
