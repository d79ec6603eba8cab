"""Fuzz `/api/v1/` with schemathesis: every operation of the OpenAPI schema the app serves,
called in-process through the WSGI application as a grid worker's integration (API key)
and as an anonymous client. No answer may be a server error, and every answer must match
the schema: a declared status and content type, and a body of the declared shape (the
error shape for refusals).

Bounded (`max_examples`, a per-example deadline) so the run stays within a few minutes on
two cores; selected with `-m fuzz` (`make fuzz`, its own CI step), left out otherwise.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gongzhi.accounts.models import Membership
from gongzhi.accounts.services import api_key_issue
from gongzhi.api.tests.test_openapi import PUBLIC_OPERATIONS
from gongzhi.workorders.defaults import ensure_default_categories
from gongzhi.wsgi import application

pytestmark = pytest.mark.fuzz

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

CHECKS = [
    not_a_server_error,
    status_code_conformance,  # the status is one the operation declares
    content_type_conformance,
    response_schema_conformance,  # the body has the declared shape (errors: the error shape)
]
# GONGZHI_FUZZ_SCALE=10 for a longer hunt than CI's.
SCALE = float(os.environ.get("GONGZHI_FUZZ_SCALE", "1"))
DEADLINE = dt.timedelta(seconds=5)  # one in-process request takes ~50 ms; 5 s is a hang
FUZZ = settings(
    max_examples=int(25 * SCALE),
    deadline=DEADLINE,
    database=None,  # nothing left behind in the work tree
    print_blob=True,  # a failure prints the @reproduce_failure line
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def wsgi_in_test_transaction(db):
    """Requests through the real WSGI handler, inside the test's transaction: the handler
    closes 'old' connections at the start and end of each request, which would close the
    test's (Django's test client disconnects the same receivers)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def grid_worker_key(world, wsgi_in_test_transaction) -> str:
    ensure_default_categories()  # a transactional test may have emptied the table
    membership = Membership.objects.get(user=world.grid_worker_a, area=world.grid_a1)
    _key, raw = api_key_issue(membership=membership, name="fuzz")
    return raw


def _call(case, headers=None):
    """One request, its writes undone, so every example meets the same world."""
    with transaction.atomic():
        response = case.call(headers=headers)
        transaction.set_rollback(True)
    case.validate_response(response, checks=CHECKS)
    return response


@schema.parametrize()
@FUZZ
def test_api_as_a_grid_workers_integration(case, grid_worker_key):
    _call(case, headers={"X-API-Key": grid_worker_key})


# Every answer is the same 401 before any input is read: a few examples show it. The public
# operations (checking a certificate, the published keys) answer anyone, within the checks.
@schema.parametrize()
@settings(FUZZ, max_examples=int(5 * SCALE))
def test_api_anonymously(case, wsgi_in_test_transaction):
    response = _call(case)
    if case.operation.definition.raw.get("operationId") in PUBLIC_OPERATIONS:
        assert response.status_code < 500, response.status_code
    else:
        assert response.status_code in (401, 404, 405), response.status_code
