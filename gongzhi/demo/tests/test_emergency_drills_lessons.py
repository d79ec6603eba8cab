"""The demo's drills and lessons: Qifu's finished fire drill with check-ins, timings,
results and its lessons in the knowledge base; a lockdown drill scheduled; lessons of the
field study searchable, some shared with the street; every community in normal mode."""

from gongzhi.accounts.models import User
from gongzhi.emergency import drills, knowledge
from gongzhi.emergency.models import DrillStatus, Lesson, ModeState


def test_qifu_has_a_finished_fire_drill_with_timings_and_lessons(demo):
    secretary = User.objects.get(username="qifu-secretary")
    rows = list(drills.drills_visible_to(secretary))
    fire = next(d for d in rows if d.kind == "fire")
    assert fire.status == DrillStatus.DONE
    timings = drills.drill_timings(fire)
    assert timings.total > 5 and 0 < timings.checked_in < timings.total
    assert timings.slowest_seconds and timings.slowest_seconds <= 540
    assert fire.participants.exclude(result="").exists()
    assert Lesson.objects.filter(drill=fire, source="drill").exists()
    assert any(d.kind == "epidemic" and d.status == DrillStatus.SCHEDULED for d in rows)


def test_each_other_community_has_one_drill(demo):
    for slug in ("yuling", "tielu"):
        secretary = User.objects.get(username=f"{slug}-secretary")
        assert len(drills.drills_visible_to(secretary)) == 1, slug


def test_the_lessons_are_searchable_and_some_shared(demo):
    secretary = User.objects.get(username="qifu-secretary")
    titles = {r.title for r in knowledge.lesson_search(secretary, "独居老人")}
    assert any("独居老人" in t for t in titles)
    assert Lesson.objects.filter(shared=True).exists()
    assert Lesson.objects.filter(shared=False).exists()
    assert 10 <= Lesson.objects.exclude(source="drill").count() <= 15


def test_every_community_stays_in_normal_mode(demo):
    assert not ModeState.objects.filter(mode="emergency").exists()
