import pytest

from gongzhi.workorders.defaults import ensure_default_categories


@pytest.fixture(autouse=True)
def _default_categories(db):
    """The migration's categories, even after a transactional test emptied the tables."""
    ensure_default_categories()


@pytest.fixture
def people(world):
    from gongzhi.workorders.tests.factories import People

    return People.of(world)


@pytest.fixture
def as_key():
    """`as_key(user, area)` → a Caller with a key bound to the user's membership on area."""
    from django.test import Client

    from gongzhi.accounts.models import Membership
    from gongzhi.accounts.services import api_key_issue
    from gongzhi.api.tests.conftest import Caller

    def make(user, area):
        membership = Membership.objects.get(user=user, area=area, is_active=True)
        _key, raw = api_key_issue(membership=membership, name="test integration")
        return Caller(Client(), key=raw)

    return make
