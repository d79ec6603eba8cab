"""The demo's points square: activities, proofs in every state, a ledger whose balances are
its sums, rewards with stock and vouchers; a reset removes it and loads it again."""

from django.core.management import call_command
from django.db.models import Sum

from gongzhi.accounts.models import User
from gongzhi.core import files
from gongzhi.demo.tests.conftest import SCALE, _Discard
from gongzhi.points import ledger, rankings
from gongzhi.points.models import (
    Activity,
    ActivityKind,
    Adjustment,
    EntryKind,
    LedgerEntry,
    PointsAccount,
    Proof,
    ProofKind,
    ProofStatus,
    Redemption,
    RedemptionStatus,
    Reward,
)
from gongzhi.workorders.uploads import uploads_dir

SLUGS = ("yuling", "qifu", "tielu")


def _balances_are_sums() -> None:
    sums = dict(
        LedgerEntry.objects.values("holder_id").annotate(total=Sum("points"))
        .values_list("holder_id", "total")
    )  # fmt: skip
    balances = dict(PointsAccount.objects.values_list("holder_id", "balance"))
    assert sums and balances == {holder: total for holder, total in sums.items()}
    assert min(balances.values()) >= 0


def test_every_community_has_activities_of_every_kind_and_proofs_in_every_state(demo):
    for slug in SLUGS:
        secretary = User.objects.get(username=f"{slug}-secretary")
        activities = Activity.objects.restrict(secretary, "activity.manage")
        assert {a.kind for a in activities} == set(ActivityKind.values), slug
        assert {a.proof_kind for a in activities} == set(ProofKind.values), slug
        proofs = Proof.objects.restrict(secretary, "proof.review")
        assert {p.status for p in proofs} == set(ProofStatus.values), slug
        codes = {flag["code"] for p in proofs for flag in p.flags}
        assert {"duplicate_photo", "taken_outside_window"} <= codes, slug
        photo = proofs.filter(kind=ProofKind.PHOTO).exclude(file="").first()
        assert photo is not None and (uploads_dir() / photo.file).read_bytes()[:2] == b"\xff\xd8"


def test_the_ledger_is_written_through_its_one_path_and_balances_are_sums(demo):
    _balances_are_sums()
    sources = set(LedgerEntry.objects.values_list("source", flat=True))
    assert any(s.startswith("signup:") for s in sources)
    assert any(s.startswith("order-rated:") for s in sources)
    assert any(s.startswith("adjustment:") for s in sources)
    assert any(s.startswith("redemption:") for s in sources)
    assert Adjustment.objects.exclude(entry=None).exists()
    for entry in LedgerEntry.objects.filter(kind=EntryKind.AWARD, source__startswith="signup:"):
        assert entry.hours > 0


def test_rewards_have_stock_and_vouchers_are_issued_and_handed_over(demo):
    assert Reward.objects.filter(name__startswith="大米", stock__gt=0).count() == 3
    assert Reward.objects.filter(stock=0).exists()  # one out of stock
    statuses = set(Redemption.objects.values_list("status", flat=True))
    assert {RedemptionStatus.ISSUED, RedemptionStatus.HANDED_OVER} <= statuses
    for redemption in Redemption.objects.select_related("entry"):
        assert redemption.entry.points == -redemption.points


def test_the_demo_rankings_show_this_year_and_this_month(demo):
    for slug in SLUGS:
        secretary = User.objects.get(username=f"{slug}-secretary")
        community = rankings.ranking_nodes_for(user=secretary)[0]
        year = rankings.ranking_for(
            user=secretary, area=community, period=rankings.period_current("year")
        )
        assert year.lists.get("volunteer") and year.lists.get("party_member"), slug
        volunteer = User.objects.get(username=f"{slug}-volunteer")
        mine = rankings.ranking_public(
            user=volunteer, which="community", period=rankings.period_current("year")
        )
        assert mine is not None and mine.mine, slug


def test_reset_removes_and_loads_it_again_the_same(demo, django_capture_on_commit_callbacks):
    before = (Activity.objects.count(), LedgerEntry.objects.count(), Reward.objects.count())
    old = set(Proof.objects.exclude(file="").values_list("file", flat=True))
    # The old photos are removed once the reset commits (a rolled-back reset keeps its rows
    # and so its files): the callbacks are checked, not run, as the module's demo stays.
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("demo", scale=SCALE, reset=True, stdout=_Discard())
    after = (Activity.objects.count(), LedgerEntry.objects.count(), Reward.objects.count())
    assert before == after
    removed = {c.args[0] for c in callbacks if getattr(c, "func", None) is files.remove_stored}
    assert removed == old
    new = set(Proof.objects.exclude(file="").values_list("file", flat=True))
    assert len(new) == len(old) and not new & old
    assert all((uploads_dir() / relative).exists() for relative in new)
    _balances_are_sums()
    for slug in SLUGS:
        user = User.objects.get(username=f"{slug}-partymember")
        assert ledger.balance_of(user) == ledger.sum_of(user)
