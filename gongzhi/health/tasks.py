from django_tasks import task

from gongzhi.health import services


@task()
def match_upstream_list(upstream_list_id: int) -> str:
    """Match an uploaded upstream list into its watch list (safe to run twice)."""
    return services.upstream_list_match(upstream_list_id=upstream_list_id).status
