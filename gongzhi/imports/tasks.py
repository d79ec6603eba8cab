from django_tasks import task

from gongzhi.imports import services


@task()
def run_import(batch_id: int, phase: str, attempt: int, language: str = "") -> str:
    """Check or commit an import; a superseded or finished attempt is skipped."""
    return services.import_run(batch_id=batch_id, phase=phase, attempt=attempt, language=language)


@task()
def prune_files() -> str:
    """Remove uploaded spreadsheets past their keeping period."""
    return f"{services.import_files_prune()} files removed"
