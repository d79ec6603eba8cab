from django_tasks import task

from gongzhi.health import lab


@task()
def apply_lab_batch(batch_id: int) -> str:
    """Apply a large lab results file (safe to run twice)."""
    return lab.lab_batch_apply(batch_id=batch_id).status
