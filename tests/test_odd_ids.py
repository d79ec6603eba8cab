"""Ids that cannot name a row — not a number, zero, negative, past a 64-bit key — are the
same 404 as a missing object, on every API route and page that takes one; never a 500
from the database (SQLite's OverflowError, PostgreSQL's DataError)."""

import pytest
from django.test import Client

from gongzhi.api.tests.conftest import BASE, assert_error

ODD = ["abc", "-1", "0", str(2**63), str(10**30), "99999999999999999999999"]

API_ROUTES = [
    "/persons/{}",
    "/households/{}",
    "/areas/{}",
    "/areas/{}/geometry",
    "/areas/{}/map",
    "/workorders/{}",
    "/workorders/{}/timeline",
    "/workorders/1/photos/{}",
    "/upstream-lists/{}",
    "/watchlists/entries/{}",
    "/imports/{}/rows",
    "/imports/{}/report",
    "/report-templates/{}",
    "/reports/{}",
    "/reports/{}/download",
    "/points/activities/{}",
    "/proposals/{}",
    "/polls/{}",
    "/polls/{}/flags",
]

# Pages take digits only (`<int:…>`): the large ids reach the selectors.
PAGES = [
    "/register/persons/{}/",
    "/register/households/{}/",
    "/register/areas/{}/",
    "/register/areas/{}/edit/",
    "/register/areas/{}/map/",
    "/register/transfers/{}/",
    "/register/imports/{}/",
    "/health/watchlist/{}/",
    "/health/declarations/{}/",
    "/health/declarations/poster/{}/",
    "/reports/templates/{}/",
    "/reports/{}/download/",
    "/orders/{}/",
    "/inbox/open/?n={}",
    "/points/activities/{}/",
    "/points/activities/{}/poster/",
    "/m/points/activities/{}/",
    "/m/points/signups/{}/proof/",
    "/proposals/{}/",
    "/proposals/polls/{}/",
    "/m/proposals/{}/",
    "/m/proposals/polls/{}/",
    "/health/samples/sessions/{}/scan/",
    "/health/samples/new/?person={}",
    "/health/lab/{}/",
    "/emergency/supplies/{}/",
    "/emergency/spaces/{}/edit/",
]


@pytest.fixture
def secretary(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.secretary)
    return client


@pytest.mark.parametrize("raw", ODD)
@pytest.mark.parametrize("route", API_ROUTES)
def test_an_odd_id_on_the_api_is_the_404_of_a_missing_one(secretary, route, raw):
    response = secretary.get(BASE + route.format(raw))

    assert_error(response, 404, "not_found")
    assert response.content == secretary.get(BASE + route.format(999_999)).content


@pytest.mark.parametrize("raw", [str(2**63), str(10**30), "99999999999999999999999", "0"])
@pytest.mark.parametrize("page", PAGES)
def test_an_odd_id_on_a_page_is_a_404(secretary, page, raw):
    assert secretary.get(page.format(raw)).status_code == 404
