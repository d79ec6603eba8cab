"""Steps of the killed-worker test, each run as its own process against a file-backed
SQLite database (`python -m gongzhi.imports.tests.worker_script STEP ...`):

- `setup ROWS`: the test world, a spreadsheet of ROWS persons, uploaded, checked, and the
  commit queued for `gongzhi worker`; prints the batch as JSON.
- `state`: what the register and the batch hold, as JSON.
- `rerun ID`: ask for the commit again (the worker was killed; no need to wait for the
  stale-progress delay in a test).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import sys

import django


def _setup(rows: int) -> dict:
    from gongzhi.imports import services
    from gongzhi.imports.tests.conftest import HEADER, csv_bytes
    from gongzhi.registry.services import area_create
    from gongzhi.testing import build_world, make_id_number, make_phone

    world = build_world()
    compound = world.building_a1.compound
    buildings = [world.building_a1]
    for number in range(2, 6):
        buildings.append(
            area_create(
                actor=None,
                parent=world.grid_a1,
                kind="building",
                name=f"{number + 10}栋",
                code=f"{compound.code}B{number + 10:02d}",
                compound=compound,
            )
        )
    table = []
    for i in range(rows):
        building = buildings[i % len(buildings)]
        table.append(
            [
                f"测试{'甲乙丙丁戊己庚辛'[i % 8]}{'子丑寅卯辰巳午未申酉'[i // 8 % 10]}",
                make_id_number(
                    birth=dt.date(1950, 1, 1) + dt.timedelta(days=i // 400), seq=i % 400
                ),
                make_phone(i),
                "玉岭花园",
                building.name,
                str(i // 400 % 6 + 1),
                str(100 + i // 2 % 400),
                "户主" if i % 2 == 0 else "配偶",
                "",
            ]
        )
    batch = services.import_upload(
        actor=world.secretary, file=io.BytesIO(csv_bytes(table, HEADER)), filename="kill.csv"
    )
    batch = services.import_request(actor=world.secretary, batch=batch, phase="check")
    services.import_run(batch_id=batch.pk, phase="check", attempt=batch.attempt)
    batch.refresh_from_db()
    batch = services.import_request(actor=world.secretary, batch=batch, phase="commit")
    return {"id": batch.pk, "checked": batch.checked_rows, "failed": batch.rows_failed}


def _state() -> dict:
    from gongzhi.audit.models import AuditEntry
    from gongzhi.imports.models import ImportBatch, ImportChunk
    from gongzhi.registry.models import Household, Person, PersonTag, RegisterChange

    digest = hashlib.sha256()
    for row in Person.objects.order_by("id_number_index").values_list(
        "id_number_index", "name", "phone_index", "household__unit", "household__room",
        "household__building__name", "relation", "version",
    ):  # fmt: skip
        digest.update(repr(row).encode())
    batch = ImportBatch.objects.order_by("-pk").first()
    return {
        "persons": Person.objects.count(),
        "households": Household.objects.count(),
        "heads": Household.objects.exclude(head=None).count(),
        "changes": RegisterChange.objects.count(),
        "tags": PersonTag.objects.count(),
        "digest": digest.hexdigest(),
        "status": batch.status if batch else None,
        "rows_created": batch.rows_created if batch else None,
        "commit_chunks": ImportChunk.objects.filter(phase="commit").count(),
        "commit_audits": AuditEntry.objects.filter(action="import.commit").count(),
    }


def _rerun(batch_id: int) -> dict:
    from gongzhi.accounts.models import User
    from gongzhi.imports import services
    from gongzhi.imports.models import ImportBatch

    services.STALE_SECONDS = 0  # the worker is dead; a user would wait for the delay
    batch = ImportBatch.objects.get(pk=batch_id)
    batch = services.import_request(
        actor=User.objects.get(username="secretary"), batch=batch, phase="commit"
    )
    return {"id": batch.pk, "attempt": batch.attempt, "status": batch.status}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    django.setup()
    step, *args = sys.argv[1:]
    if step == "setup":
        out = _setup(int(args[0]))
    elif step == "state":
        out = _state()
    elif step == "rerun":
        out = _rerun(int(args[0]))
    else:
        raise SystemExit(f"unknown step {step}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
