"""Demo data of the modules built on the register (work orders, data sets …).

Each module listed here has `load(communities, *, seed, say)`, called after the register
and the logins are loaded (in the same transaction), and `unload(*, say)`, called first
on `--reset` (in reverse order), so that its rows are gone before the register's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.utils.module_loading import import_string

MODULES = [
    "gongzhi.demo.datasets",  # sample spreadsheets and upstream lists (issue 3)
    "gongzhi.demo.workorders",  # categories, volunteers, the 8-household pairing (issue 4)
    "gongzhi.demo.points",  # activities, proofs, the ledger, rewards and vouchers (issue 13)
    "gongzhi.demo.visits",  # visits by the grid workers, some households due (issue 12)
    "gongzhi.demo.notices",  # notices, one per building's 停水通知, some read (issue 13)
    "gongzhi.demo.proposals",  # proposals with supports and answers, polls with votes (issue 13)
    "gongzhi.demo.declarations",  # arrival declarations: matched, merged, pending (issue 14)
    "gongzhi.demo.health_sessions",  # test and vaccination sessions with bookings (issue 14)
    "gongzhi.demo.health_samples",  # tests at sampling points, one lab file each (issue 14)
    # Last: reads the other modules' health inputs (issue 14).
    "gongzhi.demo.health_status",  # statuses, Yuling's own rule version, one purge run
    "gongzhi.demo.venues",  # venue codes with check-ins of the last three days (issue 14)
    "gongzhi.demo.outreach",  # a finished campaign per community, one paused (issue 14)
    "gongzhi.demo.emergency_modes",  # mode profiles; Qifu's 2022 episode, all normal (issue 15)
    "gongzhi.demo.emergency_plans",  # an epidemic plan per community, Qifu's fire plan v2 (15)
    "gongzhi.demo.emergency_lessons",  # lessons from the field study, some shared (issue 15)
    "gongzhi.demo.emergency_drills",  # Qifu: a finished fire drill, a lockdown drill next (issue 15)
    "gongzhi.demo.emergency_supplies",  # a store of 15 items per community, spaces (issue 15)
    "gongzhi.demo.emergency_shopping",  # Qifu's past supply run, delivered and rated (issue 15)
    "gongzhi.demo.emergency_care",  # Qifu's team board: cases in every step (issue 15)
]


def load_all(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    for module in MODULES:
        import_string(f"{module}.load")(communities, seed=seed, say=say)


def unload_all(*, say: Callable[[str], Any]) -> None:
    for module in reversed(MODULES):
        import_string(f"{module}.unload")(say=say)
