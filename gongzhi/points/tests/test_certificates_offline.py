"""Offline checking: `gongzhi certificates verify TOKEN --keys keys.json` needs only the
token and the published keys file — no database (these tests have none, and pytest-django
refuses any query), no network."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gongzhi.points import signing

ROOT = Path(__file__).resolve().parents[3]


def _certificate(pair: signing.KeyPair, hours: str = "8.0") -> str:
    payload = {
        "v": 1, "serial": "ABCD-EFGH-JKLM-NPQR", "community_code": "421087001001",
        "community_name": "玉岭社区", "holder": "张*明", "hours": hours,
        "period_start": "2026-01-01", "period_end": "2026-06-30",
        "issued_at": "2026-07-01T08:00:00Z", "key_id": pair.key_id, "alg": pair.algorithm,
    }  # fmt: skip
    raw = signing.canonical(payload)
    return signing.token_of(
        raw, signing.sign(pair.algorithm, pair.private_key, pair.public_key, raw)
    )


@pytest.fixture(params=signing.ALGORITHMS)
def published(request, tmp_path):
    pair = signing.generate(request.param)
    key = signing.PublicKey(
        pair.key_id, pair.algorithm, pair.public_key, "421087001001", "玉岭社区"
    )
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(signing.keys_document([key]), ensure_ascii=False), "utf-8")
    return pair, path


def test_the_command_verifies_a_token_with_the_keys_file_only(published, capsys):
    pair, keys = published
    call_command("certificates", "verify", _certificate(pair), "--keys", str(keys))
    out = capsys.readouterr().out
    assert out.startswith("ok:") and "hours: 8.0" in out and "serial: ABCD-EFGH-JKLM-NPQR" in out


def test_the_command_accepts_the_qr_link(published, capsys):
    pair, keys = published
    link = f"https://gongzhi.example/verify/?t={_certificate(pair)}"
    call_command("certificates", "verify", link, "--keys", str(keys))
    assert capsys.readouterr().out.startswith("ok:")


def test_the_command_fails_a_tampered_copy(published, capsys):
    pair, keys = published
    head, tail = _certificate(pair).split(".")
    payload = json.loads(signing.b64url_decode(head))
    payload["hours"] = "80.0"
    tampered = f"{signing.b64url(signing.canonical(payload))}.{tail}"
    with pytest.raises(CommandError) as failed:
        call_command("certificates", "verify", tampered, "--keys", str(keys))
    assert str(failed.value) == "altered" and failed.value.returncode == 1
    assert capsys.readouterr().out.startswith("altered:")


def test_the_command_fails_a_key_not_in_the_file(published):
    _pair, keys = published
    stranger = signing.generate(signing.ED25519)
    with pytest.raises(CommandError) as failed:
        call_command("certificates", "verify", _certificate(stranger), "--keys", str(keys))
    assert str(failed.value) == "unknown_key"


def test_the_command_refuses_a_bad_keys_file(tmp_path):
    path = tmp_path / "keys.json"
    path.write_text("[]", "utf-8")
    with pytest.raises(CommandError) as failed:
        call_command("certificates", "verify", "x.y", "--keys", str(path))
    assert failed.value.returncode == 2


def test_the_console_script_runs_with_no_database_reachable(published, tmp_path):
    """As a third party runs it: the database URL names a file that cannot exist."""
    pair, keys = published
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/none.sqlite3",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "gongzhi", "certificates", "verify"]
    good = subprocess.run(
        [*command, _certificate(pair), "--keys", str(keys)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("ok:")
    bad = subprocess.run(
        [*command, _certificate(pair)[:-4] + "AAAA", "--keys", str(keys)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 1 and bad.stdout.startswith("altered:")


def _docs_snippet() -> str:
    """The stand-alone Python check in docs/points-certificates.md, as written there."""
    text = (ROOT / "docs" / "points-certificates.md").read_text("utf-8")
    block = text.split("   ```python\n", 1)[1].split("\n   ```\n", 1)[0]
    return "\n".join(line.removeprefix("   ") for line in block.splitlines()) + "\n"


def test_the_documented_standalone_check_passes_and_fails_as_it_should(published, tmp_path):
    pair, keys = published
    (tmp_path / "check.py").write_text(_docs_snippet(), "utf-8")
    (tmp_path / "keys.json").write_text(keys.read_text("utf-8"), "utf-8")
    token = _certificate(pair)

    def run(text: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "check.py", text],
            capture_output=True, text=True, cwd=tmp_path, timeout=120,
        )  # fmt: skip

    good = run(f"https://gongzhi.example/verify/?t={token}")
    assert good.returncode == 0 and good.stdout.startswith("valid:"), good.stderr
    head, tail = token.split(".")
    payload = json.loads(signing.b64url_decode(head))
    payload["hours"] = "80.0"
    assert run(f"{signing.b64url(signing.canonical(payload))}.{tail}").returncode != 0
