"""Open311 GeoReport v2, case by case as the spec lays them out
(https://wiki.open311.org/GeoReport_v2): internationalisation and encoding, formats,
jurisdiction_id, optional arguments, then each method — service list, service definition,
POST service request, service_request_id from a token, GET service requests, GET service
request — and errors. Each test is named after the spec's case it checks."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from gongzhi.accounts.models import Membership
from gongzhi.accounts.services import api_key_issue
from gongzhi.workorders import open311
from gongzhi.workorders.models import WorkOrder
from gongzhi.workorders.states import Status
from gongzhi.workorders.tests.factories import new_order, order_in

BASE = "/open311/v2"
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
SERVICE = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
ATTRIBUTE = {
    "variable", "code", "datatype", "required", "datatype_description", "order",
    "description", "values",
}  # fmt: skip
REQUEST = {
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url",
}  # fmt: skip


def _keyed(user, area) -> Client:
    membership = Membership.objects.get(user=user, area=area, is_active=True)
    return Client(headers={"X-API-Key": api_key_issue(membership=membership, name="spec")[1]})


def _xml(response) -> ET.Element:
    text = response.content.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>'), text[:60]
    return ET.fromstring(response.content)  # noqa: S314 - our own output


def _errors(response) -> list[dict]:
    if response["Content-Type"].startswith("text/xml"):
        root = _xml(response)
        assert root.tag == "errors"
        return [
            {"code": int(e.findtext("code")), "description": e.findtext("description")}
            for e in root.findall("error")
        ]
    body = response.json()
    assert isinstance(body, list) and body
    for error in body:
        assert set(error) == {"code", "description"} and error["description"]
    return body


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {r["service_request_id"] for r in response.json()}


def _file(client, **data):
    return client.post(f"{BASE}/requests.json", data)


# --- internationalisation and encoding, format support ------------------------------------


def test_datetime_format_w3c_with_timezone(people, client):
    order = order_in(people, Status.IN_PROGRESS)

    row = client.get(f"{BASE}/requests/{order.pk}.json").json()[0]

    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C.match(row[field]), (field, row[field])


def test_encoding_utf8_everywhere_in_responses(people, client):
    new_order(people)

    as_json = client.get(f"{BASE}/services.json")
    as_xml = client.get(f"{BASE}/services.xml")

    assert as_json["Content-Type"] == "application/json; charset=utf-8"
    assert as_xml["Content-Type"] == "text/xml; charset=utf-8"
    _xml(as_xml)  # the XML declaration with encoding="utf-8"
    assert "\\u" not in as_json.content.decode("utf-8")  # UTF-8 text, not \\u escapes


def test_encoding_text_received_is_decoded_as_utf8(people, world):
    keyed = _keyed(people.grid_worker, world.grid_a1)
    body = "service_code=repair&address_id={}&description=%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE"

    response = keyed.post(
        f"{BASE}/requests.json",
        body.format(world.building_a1.code),
        content_type="application/x-www-form-urlencoded; charset=utf-8",
    )

    assert response.status_code == 201, response.content
    order = WorkOrder.objects.get(pk=int(response.json()[0]["service_request_id"]))
    assert order.description == "路灯不亮"


def test_encoding_text_that_is_not_utf8_is_refused(people, world):
    keyed = _keyed(people.grid_worker, world.grid_a1)

    response = keyed.post(
        f"{BASE}/requests.json",
        b"service_code=repair&lat=30&long=111&description=" + "路灯".encode("gbk"),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400 and "UTF-8" in _errors(response)[0]["description"]


def test_format_support_xml_required_and_json_the_same_fields(people, world):
    order = new_order(people)
    keyed = _keyed(people.grid_worker, world.grid_a1)

    as_json = keyed.get(f"{BASE}/requests/{order.pk}.json").json()[0]
    root = _xml(keyed.get(f"{BASE}/requests/{order.pk}.xml"))

    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert [child.tag for child in request] == list(open311.REQUEST_FIELDS)
    assert request.findtext("description") == as_json["description"]


def test_format_support_other_suffixes_are_refused_in_xml(db, client):
    response = client.get(f"{BASE}/requests.csv")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/xml")
    assert _errors(response)[0]["code"] == 400


def test_service_discovery_names_the_georeport_v2_endpoint(db, client):
    body = client.get(f"{BASE}/discovery.json").json()
    [endpoint] = body["endpoints"]

    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    assert W3C.match(body["changeset"]) and W3C.match(endpoint["changeset"])
    assert _xml(client.get(f"{BASE}/discovery.xml")).find("endpoints/endpoint/url") is not None


# --- definitions: jurisdiction_id, optional arguments ----------------------------------------


def test_jurisdiction_id_is_a_communitys_area_code(people, world, client):
    order = new_order(people)

    listed = client.get(f"{BASE}/requests.json", {"jurisdiction_id": world.community_a.code})
    grid = client.get(f"{BASE}/requests.json", {"jurisdiction_id": world.grid_a1.code})

    assert _ids(listed) == {str(order.pk)}
    assert grid.status_code == 404  # a grid is not a jurisdiction


def test_jurisdiction_id_may_be_left_out(people, world):
    keyed = _keyed(people.grid_worker, world.grid_a1)

    response = _file(
        keyed, service_code="repair", address_id=world.building_a1.code, description="漏水"
    )

    assert response.status_code == 201, response.content


def test_jurisdiction_id_of_a_key_is_its_community_or_one_under_its_street(people, world):
    street = _keyed(people.street, world.street)  # street officers read, they do not file
    grid = _keyed(people.grid_worker, world.grid_a1)

    def status(client, code):
        return client.get(f"{BASE}/services.json", {"jurisdiction_id": code}).status_code

    assert status(street, world.community_a.code) == 200
    assert status(street, world.community_b.code) == 200
    assert status(grid, world.community_a.code) == 200
    assert status(grid, world.community_b.code) == 404


def test_optional_arguments_empty_is_the_same_as_not_declared(people, client):
    new_order(people)
    order_in(people, Status.CLOSED, code="errands")

    plain = client.get(f"{BASE}/requests.json").json()
    empty = client.get(
        f"{BASE}/requests.json",
        {"status": "", "service_code": "", "start_date": "", "end_date": "",
         "service_request_id": "", "jurisdiction_id": ""},
    ).json()  # fmt: skip

    assert empty == plain and len(plain) == 2


# --- GET service list -------------------------------------------------------------------------


def test_get_service_list_response_fields(db, client):
    services = client.get(f"{BASE}/services.json").json()
    root = _xml(client.get(f"{BASE}/services.xml"))

    assert services
    for service in services:
        assert set(service) == SERVICE
        assert isinstance(service["metadata"], bool)
        assert service["type"] in {"realtime", "batch", "blackbox"}
    assert root.tag == "services"
    assert {e.findtext("service_code") for e in root.findall("service")} == {
        s["service_code"] for s in services
    }


def test_get_service_list_error_404_jurisdiction_id_not_found(db, client):
    response = client.get(f"{BASE}/services.xml", {"jurisdiction_id": "sfgov.org"})

    assert response.status_code == 404
    assert "jurisdiction_id" in _errors(response)[0]["description"]


# --- GET service definition -------------------------------------------------------------------


def test_get_service_definition_response_fields(db, client):
    body = client.get(f"{BASE}/services/complaint.json").json()
    root = _xml(client.get(f"{BASE}/services/complaint.xml"))

    assert body["service_code"] == "complaint"
    orders = [a["order"] for a in body["attributes"]]
    assert sorted(orders) == orders and len(set(orders)) == len(orders) and min(orders) >= 1
    for attribute in body["attributes"]:
        assert set(attribute) == ATTRIBUTE
        assert attribute["datatype"] in {
            "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist",
        }  # fmt: skip
        if attribute["datatype"].endswith("valuelist"):
            assert all(set(v) == {"key", "name"} for v in attribute["values"])
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key") is not None


def test_get_service_definition_error_404_service_code_not_found(db, client):
    response = client.get(f"{BASE}/services/033.json")

    assert response.status_code == 404 and "service_code" in _errors(response)[0]["description"]


def test_get_service_definition_error_404_jurisdiction_id_not_found(db, client):
    response = client.get(f"{BASE}/services/repair.json", {"jurisdiction_id": "city.gov"})

    assert response.status_code == 404


# --- POST service request ---------------------------------------------------------------------


def test_post_service_request_requires_an_api_key(people, world, client):
    missing = _file(client, service_code="repair", lat="30", long="111", description="x")
    wrong = _file(
        Client(headers={"X-API-Key": "gz_nope_nope"}),
        service_code="repair", lat="30", long="111", description="x",
    )  # fmt: skip

    assert missing.status_code == 403 and "api_key" in _errors(missing)[0]["description"]
    assert wrong.status_code == 403 and "api_key" in _errors(wrong)[0]["description"]


def test_post_service_request_the_example_request(people, world):
    """The spec's example body, with this platform's codes."""
    keyed = _keyed(people.grid_worker, world.grid_a1)
    body = (
        f"jurisdiction_id={world.community_a.code}&service_code=repair&lat=30.2630&long=111.7660"
        "&address_string=1234+5th+street&email=smit333%40sfgov.edu&device_id=tt222111"
        "&account_id=123456&first_name=john&last_name=smith&phone=13912345678"
        "&description=A+large+sinkhole+is+destroying+the+street"
        "&media_url=http%3A%2F%2Ffarm3.static.flickr.com%2F2002%2F2212426634_5ed477a060.jpg"
        "&attribute[priority]=high"
    )

    response = keyed.post(
        f"{BASE}/requests.xml", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 201, response.content
    [request] = _xml(response).findall("request")
    assert [c.tag for c in request] == ["service_request_id", "service_notice", "account_id"]
    order = WorkOrder.objects.get(pk=int(request.findtext("service_request_id")))
    assert (order.priority, order.contact_name, order.address) == (
        "high", "smith john", "1234 5th street",
    )  # fmt: skip
    assert "media_url" in request.findtext("service_notice")


def test_post_service_request_location_lat_and_long_or_address_string_or_address_id(people, world):
    keyed = _keyed(people.grid_worker, world.grid_a1)
    base = {"service_code": "repair", "description": "漏水"}

    by_point = _file(keyed, **base, lat="30.1", long="111.7")
    by_text = _file(keyed, **base, address_string=world.household_a1.address)
    by_id = _file(keyed, **base, address_id=world.building_a1.code)
    none = _file(keyed, **base)
    half = _file(keyed, **base, lat="30.1", address_string="x")

    assert [r.status_code for r in (by_point, by_text, by_id)] == [201, 201, 201]
    assert none.status_code == 400 and "address_id" in _errors(none)[0]["description"]
    assert half.status_code == 400 and "long" in _errors(half)[0]["description"]


def test_post_service_request_attribute_code_value(people, world):
    keyed = _keyed(people.grid_worker, world.grid_a1)
    base = {"service_code": "complaint", "description": "噪音", "lat": "30", "long": "111"}

    good = _file(
        keyed, **base, **{"attribute[priority]": "urgent", "attribute[anonymous]": "true",
                          "attribute[preferred_time]": "2099-01-01T09:00:00+08:00"},
    )  # fmt: skip
    unknown = _file(keyed, **base, **{"attribute[colour]": "red"})
    wrong_value = _file(keyed, **base, **{"attribute[priority]": "asap"})

    assert good.status_code == 201, good.content
    order = WorkOrder.objects.get(pk=int(good.json()[0]["service_request_id"]))
    assert (order.priority, order.anonymous) == ("urgent", True)
    assert unknown.status_code == 400 and "attribute[colour]" in _errors(unknown)[0]["description"]
    assert wrong_value.status_code == 400
    assert "attribute[priority]" in _errors(wrong_value)[0]["description"]


def test_post_service_request_description_limited_to_4000_characters(people, world):
    keyed = _keyed(people.grid_worker, world.grid_a1)

    response = _file(keyed, service_code="repair", lat="30", long="111", description="x" * 4001)

    assert response.status_code == 400
    assert _errors(response)[0]["description"].startswith("description")


def test_post_service_request_takes_every_description_the_spec_allows(people, world):
    """Up to 4,000 characters is the spec's limit, and the platform files all of them."""
    keyed = _keyed(people.grid_worker, world.grid_a1)

    response = _file(keyed, service_code="repair", lat="30", long="111", description="漏" * 4000)

    assert response.status_code == 201, response.content
    assert WorkOrder.objects.get().description == "漏" * 4000


def test_post_service_request_refusals_name_the_specs_fields(people, world):
    keyed = _keyed(people.grid_worker, world.grid_a1)

    response = _file(
        keyed, service_code="repair", lat="30", long="111", description="",
        phone="not a phone", first_name="明" * 30, last_name="张" * 30,
    )  # fmt: skip

    assert response.status_code == 400
    named = {e["description"].split(":")[0] for e in _errors(response)}
    assert named == {"description", "phone", "first_name/last_name"}
    assert not WorkOrder.objects.exists()


def test_post_service_request_error_404_service_code_not_found(people, world):
    keyed = _keyed(people.grid_worker, world.grid_a1)

    response = _file(keyed, service_code="001", lat="30", long="111", description="x")

    assert response.status_code == 404 and "service_code" in _errors(response)[0]["description"]


def test_post_service_request_error_400_service_code_not_provided(people, world):
    keyed = _keyed(people.grid_worker, world.grid_a1)

    response = _file(keyed, lat="30", long="111", description="x")

    assert response.status_code == 400 and "service_code" in _errors(response)[0]["description"]


def test_post_service_request_error_404_jurisdiction_id_not_found(people, world):
    keyed = _keyed(people.grid_worker, world.grid_a1)

    unknown = _file(
        keyed, jurisdiction_id="city.gov", service_code="repair", lat="30", long="111",
        description="x",
    )  # fmt: skip
    foreign = _file(
        keyed, jurisdiction_id=world.community_b.code, service_code="repair",
        address_id=world.building_b1.code, description="x",
    )  # fmt: skip

    assert unknown.status_code == 404 and foreign.status_code == 404
    assert not WorkOrder.objects.exists()


# --- GET service_request_id from a token ------------------------------------------------------


def test_get_service_request_id_from_a_token_is_not_needed_services_are_realtime(db, client):
    services = client.get(f"{BASE}/services.json").json()
    tokens = client.get(f"{BASE}/tokens/123456.json")

    assert {s["type"] for s in services} == {"realtime"}
    assert tokens.status_code == 404 and _errors(tokens)[0]["code"] == 404


# --- GET service requests ---------------------------------------------------------------------


def test_get_service_requests_response_fields(people, client):
    new_order(people)

    [row] = client.get(f"{BASE}/requests.json").json()

    assert set(row) == REQUEST
    assert row["status"] in {"open", "closed"}


def test_get_service_requests_service_request_id_overrides_all_other_arguments(people, client):
    order = new_order(people)
    WorkOrder.objects.filter(pk=order.pk).update(
        submitted_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )

    response = client.get(
        f"{BASE}/requests.json",
        {"service_request_id": str(order.pk), "status": "closed", "service_code": "x",
         "start_date": "2026-01-01", "end_date": "2025-01-01"},
    )  # fmt: skip

    assert _ids(response) == {str(order.pk)}


def test_get_service_requests_service_request_id_comma_delimited(people, client):
    one, two = new_order(people), new_order(people)

    assert _ids(client.get(f"{BASE}/requests.json?service_request_id={one.pk},{two.pk}")) == {
        str(one.pk), str(two.pk),
    }  # fmt: skip


def test_get_service_requests_service_code_comma_delimited_or_declared_multiple_times(
    people, client
):
    repair = new_order(people)
    errands = new_order(people, code="errands")
    new_order(people, code="sanitation")

    comma = client.get(f"{BASE}/requests.json?service_code=repair,errands")
    repeated = client.get(f"{BASE}/requests.json?service_code=repair&service_code=errands")

    assert _ids(comma) == _ids(repeated) == {str(repair.pk), str(errands.pk)}


def test_get_service_requests_status_open_closed_or_both(people, client):
    open_order = new_order(people)
    closed = order_in(people, Status.CLOSED)

    def ids(query: str) -> set[str]:
        return _ids(client.get(f"{BASE}/requests.json?{query}"))

    assert ids("status=open") == {str(open_order.pk)}
    assert ids("status=closed") == {str(closed.pk)}
    assert ids("status=open,closed") == ids("status=open&status=closed") == ids("")
    bad = client.get(f"{BASE}/requests.json?status=pending")
    assert bad.status_code == 400 and "status" in _errors(bad)[0]["description"]


def test_get_service_requests_start_date_and_end_date_range(people, client):
    order = new_order(people)
    WorkOrder.objects.filter(pk=order.pk).update(
        submitted_at=dt.datetime(2026, 5, 24, 12, tzinfo=dt.UTC)
    )

    inside = client.get(
        f"{BASE}/requests.json",
        {"start_date": "2026-05-24T00:00:00Z", "end_date": "2026-06-24T00:00:00Z"},
    )
    before = client.get(
        f"{BASE}/requests.json",
        {"start_date": "2026-04-01T00:00:00Z", "end_date": "2026-05-24T00:00:00Z"},
    )

    assert _ids(inside) == {str(order.pk)}
    assert _ids(before) == set()


def test_get_service_requests_range_may_not_span_more_than_90_days(db, client):
    response = client.get(
        f"{BASE}/requests.json",
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02T00:00:00Z"},
    )

    assert response.status_code == 400
    assert "90" in _errors(response)[0]["description"]


def test_get_service_requests_when_not_specified_the_range_is_the_most_recent_90_days(
    people, client
):
    recent, old = new_order(people), new_order(people)
    long_ago = recent.submitted_at - dt.timedelta(days=100)
    WorkOrder.objects.filter(pk=old.pk).update(submitted_at=long_ago)

    default = client.get(f"{BASE}/requests.json")
    from_start = client.get(
        f"{BASE}/requests.json", {"start_date": (long_ago - dt.timedelta(days=1)).isoformat()}
    )
    to_end = client.get(
        f"{BASE}/requests.json", {"end_date": (long_ago + dt.timedelta(days=1)).isoformat()}
    )

    assert _ids(default) == {str(recent.pk)}
    assert _ids(from_start) == {str(old.pk)}  # the 90 days from start_date
    assert _ids(to_end) == {str(old.pk)}  # the 90 days up to end_date


def test_get_service_requests_must_use_w3_format(db, client):
    for value in ("yesterday", "2026-13-01T00:00:00Z", "2026-02-30", "2026-01-01T00:00:00+25:00"):
        response = client.get(f"{BASE}/requests.json", {"start_date": value})
        assert response.status_code == 400, value
        assert "start_date" in _errors(response)[0]["description"]


def test_get_service_requests_response_volume_first_1000_requests(people, client, monkeypatch):
    monkeypatch.setattr(open311, "MAX_RESULTS", 2)
    orders = [new_order(people) for _ in range(3)]

    rows = client.get(f"{BASE}/requests.json").json()

    assert [r["service_request_id"] for r in rows] == [str(o.pk) for o in orders[:0:-1]]


def test_get_service_requests_error_404_jurisdiction_id_not_found(db, client):
    response = client.get(f"{BASE}/requests.xml", {"jurisdiction_id": "city.gov"})

    assert response.status_code == 404 and _errors(response)[0]["code"] == 404


# --- GET service request ----------------------------------------------------------------------


def test_get_service_request_response_fields(people, world):
    order = new_order(people, lat="30.263", lon="111.766")
    keyed = _keyed(people.grid_worker, world.grid_a1)

    [row] = keyed.get(f"{BASE}/requests/{order.pk}.json").json()

    assert set(row) == REQUEST
    assert row["service_request_id"] == str(order.pk)
    assert (row["lat"], row["long"]) == (30.263, 111.766)
    assert row["address"].split(", ")[-1] == world.community_a.name  # most general last


def test_get_service_request_media_url_is_a_url_to_the_image(people, world):
    from gongzhi.workorders.tests.factories import photo

    order = new_order(people, photos=[photo()])
    keyed = _keyed(people.grid_worker, world.grid_a1)

    url = keyed.get(f"{BASE}/requests/{order.pk}.json").json()[0]["media_url"]
    image = Client().get(url)

    assert url.startswith("http://")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"


def test_get_service_request_error_404_not_found(db, client):
    response = client.get(f"{BASE}/requests/638344.xml")

    assert response.status_code == 404 and _errors(response)[0]["code"] == 404


def test_get_service_request_error_404_jurisdiction_id_not_found(people, client):
    order = new_order(people)

    response = client.get(f"{BASE}/requests/{order.pk}.json", {"jurisdiction_id": "city.gov"})

    assert response.status_code == 404


# --- errors -----------------------------------------------------------------------------------


def test_errors_are_a_list_of_code_and_description_in_either_format(db, client):
    as_json = client.get(f"{BASE}/services/nope.json")
    as_xml = client.get(f"{BASE}/services/nope.xml")

    assert as_json.json() == [{"code": 404, "description": _errors(as_json)[0]["description"]}]
    assert _errors(as_xml)[0]["code"] == 404


def test_errors_403_for_a_wrong_api_key_on_any_method(db):
    wrong = Client(headers={"X-API-Key": "gz_nope_nope"})

    for url in (f"{BASE}/requests.json", f"{BASE}/services.json", f"{BASE}/requests/1.xml"):
        response = wrong.get(url)
        assert response.status_code == 403 and _errors(response)[0]["code"] == 403


def test_errors_400_the_url_request_is_invalid(db, client):
    for url in (f"{BASE}/requests.json?service_request_id=abc", f"{BASE}/services.txt"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert _errors(response)[0]["code"] == 400


def test_errors_404_for_resources_that_do_not_exist(db, client):
    for url in (f"{BASE}/nothing.json", f"{BASE}/services", f"{BASE}/requests/x1.json"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert _errors(response)[0]["code"] == 404


def test_errors_multiple_errors_can_be_returned(people, world):
    keyed = _keyed(people.grid_worker, world.grid_a1)

    response = _file(keyed, service_code="repair", lat="30", long="111", phone="x")

    assert response.status_code == 400 and len(_errors(response)) == 2


def test_errors_never_an_html_page(db, client):
    for response in (
        client.delete(f"{BASE}/requests.json"),
        client.post(f"{BASE}/services.xml"),
        client.post(f"{BASE}/requests.json", "{}", content_type="application/json"),
        client.get(f"{BASE}/requests.json?" + "&".join(f"f{i}=1" for i in range(1100))),
    ):
        assert response.status_code in {400, 405, 415}, response.status_code
        assert _errors(response)[0]["code"] == response.status_code
        assert b"<html" not in response.content.lower()


def test_errors_a_failure_inside_is_a_500_in_the_specs_format(db, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(open311.selectors, "category_list", broken)
    client = Client(raise_request_exception=False)

    response = client.get(f"{BASE}/services.xml")

    assert response.status_code == 500
    [error] = _errors(response)
    assert error["code"] == 500 and "boom" not in error["description"]


@pytest.mark.parametrize("method", ["get", "head"])
def test_errors_media_links_refused_in_the_specs_format(db, client, method):
    response = getattr(client, method)(f"{BASE}/media/1:1vRY7U:forged")

    assert response.status_code == 404
    if method == "get":
        assert _errors(response)[0]["code"] == 404


def test_errors_descriptions_never_carry_personal_data(people, world):
    keyed = _keyed(people.grid_worker, world.grid_a1)
    phone = "1391234567"  # one digit short

    response = _file(
        keyed, service_code="repair", lat="30", long="111", description="x", phone=phone,
        first_name="晓明" * 30,
    )  # fmt: skip

    text = json.dumps(_errors(response), ensure_ascii=False)
    assert phone not in text and "晓明晓明" not in text
