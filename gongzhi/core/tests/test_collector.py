import gc
import threading

from gongzhi.core import collector


def test_bulk_job_freezes_raises_the_young_threshold_and_puts_both_back():
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with collector.bulk_job():
        assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > frozen
        made_inside = [[] for _ in range(10)]
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen
    # Objects made inside are ordinary ones: a cycle made inside is still collected.
    cycle: list = []
    cycle.append(cycle)
    del cycle, made_inside
    assert gc.collect() >= 1


def test_nested_and_concurrent_jobs_restore_only_when_the_last_ends():
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    inside = threading.Event()
    release = threading.Event()

    def other_job():
        with collector.bulk_job():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other_job)
    with collector.bulk_job():
        thread.start()
        assert inside.wait(5)
        with collector.bulk_job():
            pass
        assert gc.get_threshold()[0] == collector.YOUNG_THRESHOLD
    # This thread's job ended; the other's has not.
    assert gc.get_threshold()[0] == collector.YOUNG_THRESHOLD
    release.set()
    thread.join(5)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen


def test_an_error_inside_still_restores():
    before = gc.get_threshold()
    try:
        with collector.bulk_job():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.get_threshold() == before
