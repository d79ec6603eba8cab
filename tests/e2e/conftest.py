"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Without Chromium these tests skip, unless GONGZHI_REQUIRE_BROWSER=1 (as in CI), where a
missing browser is a failure rather than a silent skip.
"""

import os
import shutil
import threading
import time

import pytest
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker

# Playwright's sync API keeps an event loop in this thread; the test body's ORM calls are
# still plain synchronous code, so Django's async-safety guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("GONGZHI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("GONGZHI_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# The live server shares the test's in-memory SQLite connection; a worker thread (see
# test_import_spreadsheet.Worker) has a connection of its own to the same shared cache.
# Shared-cache SQLite answers a table lock with SQLITE_LOCKED at once, without the busy
# timeout a file database would wait out, so a page load that meets a worker's write
# transaction fails with "database table is locked". Requests and worker rounds therefore
# take turns under this lock (a file database in production waits instead).
DATABASE_TURN = threading.RLock()


def _taking_turns(app):
    def locked_app(environ, start_response):
        with DATABASE_TURN:
            return app(environ, start_response)

    return locked_app


@pytest.fixture(scope="session")
def _serialised_live_server(live_server):
    httpd = live_server.thread.httpd
    httpd.set_app(_taking_turns(httpd.get_app()))
    return live_server


@pytest.fixture
def new_page(browser, live_server, _serialised_live_server, tmp_path):
    """Open pages in fresh browser contexts (separate cookies: separate users)."""
    contexts = []

    def open_page(viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, base_url=live_server.url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


class Worker:
    """`gongzhi worker` rounds in a thread of the test process (it shares the test
    database); it runs only while `go` is set, so the page can be seen waiting first."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        try:
            while not self.stop.is_set():
                if self.go.wait(0.1):
                    with DATABASE_TURN:
                        if self.go.is_set():
                            self._round()
                    time.sleep(0.2)
        finally:
            connection.close()

    def _round(self) -> None:
        # One round of what `gongzhi worker` runs (its signal handlers need the main
        # thread, so not the command itself).
        DatabaseWorker(
            queue_names=["*"], interval=0, batch=True, backend_name="default",
            startup_delay=False, max_tasks=5, worker_id="e2e", excluded_queue_names=[],
        ).run()  # fmt: skip

    def pause(self) -> None:
        """Stop starting rounds and wait out one under way, so that the test thread's own
        queries (on the live server's connection) meet no write transaction."""
        self.go.clear()
        with DATABASE_TURN:
            pass


@pytest.fixture
def worker():
    worker = Worker()
    worker.thread.start()
    yield worker
    worker.stop.set()
    worker.thread.join(timeout=30)
