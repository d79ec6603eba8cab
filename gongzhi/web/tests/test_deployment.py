"""Outside review, item 9: deployment defaults. A content security policy without inline
script or style, HTTPS settings in production, no caching of pages with personal data,
and a private SQLite database."""

import contextlib
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

ROOT = Path(__file__).resolve().parents[3]


# --- Content-Security-Policy -------------------------------------------------------------------


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


def test_every_page_sends_a_policy_without_inline_script_or_style(client, world):
    client.force_login(world.grid_worker_a)
    for path in ("/", "/login/", "/m/login/"):
        response = client.get(path, follow=True)
        policy = _policy(response)
        assert "'unsafe-inline'" not in response["Content-Security-Policy"], path
        assert "'unsafe-eval'" not in response["Content-Security-Policy"], path
        assert policy["script-src"] == "script-src 'self'"
        assert policy["style-src"] == "style-src 'self'"
        assert policy["frame-ancestors"] == "frame-ancestors 'none'"
        assert policy["object-src"] == "object-src 'none'"


INLINE = [
    (
        re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"),
        "inline script",
    ),
    (re.compile(r"<style\b"), "style element"),
    (re.compile(r"\sstyle=\""), "style attribute"),
    (re.compile(r"\son[a-z]+=\""), "event handler attribute"),
    (re.compile(r"hx-on|javascript:"), "script in an attribute"),
]


def test_no_template_has_inline_script_or_style():
    """What the policy would block: keep scripts and styles in static files."""
    found = []
    for template in (ROOT / "gongzhi").rglob("templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                found.append(f"{template.relative_to(ROOT)}: {what}: {match.group()}")
    assert not found, "\n".join(found)


def test_htmx_adds_no_inline_style_and_evaluates_nothing(client, world):
    client.force_login(world.grid_worker_a)
    page = client.get("/").content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'', page)
    assert config, "htmx would insert its indicator <style>, which the policy blocks"
    assert '"includeIndicatorStyles": false' in config.group(1)
    assert '"allowEval": false' in config.group(1)


# --- no caching of pages with personal data ----------------------------------------------------


def test_signed_in_pages_and_api_answers_are_not_stored(client, world):
    client.force_login(world.grid_worker_a)
    for path in ("/", "/register/households/", "/api/v1/households", "/inbox/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path


def test_resident_pages_are_not_stored(client, world):
    client.force_login(world.resident)
    response = client.get("/m/orders/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_static_files_are_cacheable(client, db):
    response = client.get("/static/web/workbench.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


# --- the SQLite database is private ------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.contextmanager
def _sqlite_connection(path: Path, blocker):
    """A connection through the project's SQLite backend to a database file at `path`
    (the suite itself may run on an in-memory database or on PostgreSQL)."""
    alias = f"private_{path.parent.name}"
    connections.settings[alias] = {
        **settings.DATABASES["default"],
        "ENGINE": "gongzhi.core.sqlite",
        "NAME": str(path),
        "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;"},
    }
    with blocker.unblock():
        connection = connections[alias]
        try:
            yield connection
        finally:
            connection.close()
            del connections[alias]
            del connections.settings[alias]


def test_a_new_sqlite_database_and_its_wal_files_are_0600(tmp_path, django_db_blocker):
    old = os.umask(0o022)
    try:
        with _sqlite_connection(tmp_path / "db.sqlite3", django_db_blocker) as connection:
            with connection.cursor() as cursor:
                cursor.execute("CREATE TABLE t (x integer)")
                cursor.execute("INSERT INTO t VALUES (1)")
            files = [tmp_path / n for n in ("db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm")]
            assert all(f.exists() for f in files), list(tmp_path.iterdir())
            assert {f.name: oct(_mode(f)) for f in files} == {f.name: "0o600" for f in files}
    finally:
        os.umask(old)


def test_an_existing_readable_database_is_made_private_at_connection(tmp_path, django_db_blocker):
    path = tmp_path / "db.sqlite3"
    path.touch()
    path.chmod(0o644)
    with _sqlite_connection(path, django_db_blocker) as connection:
        connection.ensure_connection()
        assert _mode(path) == 0o600


def test_the_data_directory_is_0700():
    assert _mode(Path(settings.DATA_DIR)) == 0o700


# --- production settings -------------------------------------------------------------------------

PRODUCTION = {
    "GONGZHI_HTTPS": "true",
    "SECRET_KEY": "x" * 20 + "-this-is-only-a-test-key-of-sufficient-length-1234567890",
    "ALLOWED_HOSTS": "gongzhi.example.org",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process: a deployment does not.
    dropped = ("SECURE_", "GONGZHI_HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env={**base, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(("env", "clean"), [(PRODUCTION, True), ({}, False)])
def test_check_deploy_is_clean_in_production_mode_only(env, clean):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert (result.returncode == 0) is clean, result.stdout + result.stderr


def test_production_mode_turns_on_hsts_redirects_and_secure_cookies():
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER)"
    )
    result = _manage("shell", "-v", "0", "-c", code, env=PRODUCTION)
    assert result.stdout.split() == ["31536000", "True", "True", "True", "None"], result.stderr
    behind_proxy = {**PRODUCTION, "GONGZHI_PROXY_SSL_HEADER": "X-Forwarded-Proto"}
    result = _manage("shell", "-v", "0", "-c", code, env=behind_proxy)
    assert result.stdout.strip().endswith("('HTTP_X_FORWARDED_PROTO', 'https')"), result.stderr
    result = _manage(
        "shell", "-v", "0", "-c", code, env={**PRODUCTION, "SECURE_SSL_REDIRECT": "false"}
    )
    assert result.stdout.split()[1] == "False"
