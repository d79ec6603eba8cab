import pytest
from django.core.management import call_command
from django.db import transaction

SCALE = 0.02  # 342 households; the grid structure is full size


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup, django_db_blocker):
    """The demo at small scale, loaded once per module inside a transaction that is rolled
    back afterwards; each test runs in a savepoint within it (the `db` fixture)."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo", scale=SCALE, stdout=_Discard())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_loaded, db):
    return None


class _Discard:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass
