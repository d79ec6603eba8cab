"""Open311 GeoReport v2: responses carry the spec's fields, POST needs a key, the public
sees no personal data."""

import datetime as dt
import json
import xml.etree.ElementTree as ET

from django.test import Client

from gongzhi.accounts.models import Membership
from gongzhi.accounts.services import api_key_issue
from gongzhi.workorders.models import Channel, WorkOrder
from gongzhi.workorders.states import Status
from gongzhi.workorders.tests.factories import new_order, order_in

BASE = "/open311/v2"
# GeoReport v2 field lists (wiki.open311.org/GeoReport_v2).
SERVICE_FIELDS = {
    "service_code", "service_name", "description", "metadata", "type", "keywords", "group",
}  # fmt: skip
ATTRIBUTE_FIELDS = {
    "variable", "code", "datatype", "required", "datatype_description", "order",
    "description", "values",
}  # fmt: skip
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url",
}  # fmt: skip


def _key(user, area) -> str:
    membership = Membership.objects.get(user=user, area=area, is_active=True)
    return api_key_issue(membership=membership, name="city hub")[1]


def test_services_list_every_category_with_the_spec_fields(db, client):
    body = client.get(f"{BASE}/services.json").json()

    assert {s["service_code"] for s in body} >= {"repair", "complaint", "suggestion"}
    for service in body:
        assert set(service) >= SERVICE_FIELDS
        assert service["type"] in {"realtime", "batch", "blackbox"}
        assert isinstance(service["metadata"], bool)


def test_a_service_definition_lists_typed_attributes(db, client):
    body = client.get(f"{BASE}/services/complaint.json").json()

    assert body["service_code"] == "complaint"
    codes = [a["code"] for a in body["attributes"]]
    assert codes == ["priority", "preferred_time", "anonymous"]
    for attribute in body["attributes"]:
        assert set(attribute) == ATTRIBUTE_FIELDS
        assert attribute["datatype"] in DATATYPES
    unknown = client.get(f"{BASE}/services/nope.json")
    assert unknown.status_code == 404
    assert unknown.json()[0]["code"] == 404


def test_public_requests_show_no_personal_data(people, world, client):
    order = new_order(people, description="张晓明家的水管", contact_phone="13912345678")

    body = client.get(f"{BASE}/requests.json").json()

    assert [r["service_request_id"] for r in body] == [str(order.pk)]
    row = body[0]
    assert set(row) == REQUEST_FIELDS
    assert (row["status"], row["service_code"]) == ("open", "repair")
    assert row["description"] is None and row["lat"] is None
    assert world.household_a1.address not in json.dumps(body, ensure_ascii=False)
    assert "张晓明" not in json.dumps(body, ensure_ascii=False)
    assert row["address"] == f"{world.grid_a1.name}, {world.community_a.name}"


def test_a_key_in_the_area_sees_the_full_request(people, world):
    order = new_order(people)
    keyed = Client(headers={"X-API-Key": _key(people.grid_worker, world.grid_a1)})
    outside = Client(headers={"X-API-Key": _key(people.grid_worker_b, world.grid_a2)})

    mine = keyed.get(f"{BASE}/requests/{order.pk}.json").json()[0]
    theirs = outside.get(f"{BASE}/requests/{order.pk}.json").json()[0]

    assert mine["description"] == order.description
    assert mine["address"].startswith(world.household_a1.address + ", ")
    assert mine["address_id"] == world.building_a1.code
    assert theirs["description"] is None


def test_filters_by_status_code_dates_and_ids(people, client):
    open_order = new_order(people)
    closed = order_in(people, Status.CLOSED, code="errands")

    def ids(**query):
        return [r["service_request_id"] for r in client.get(f"{BASE}/requests.json", query).json()]

    assert ids(status="open") == [str(open_order.pk)]
    assert ids(status="closed") == [str(closed.pk)]
    assert ids(service_code="errands") == [str(closed.pk)]
    assert set(ids(service_request_id=f"{open_order.pk},{closed.pk}")) == {
        str(open_order.pk),
        str(closed.pk),
    }
    assert ids(start_date="2000-01-01T00:00:00Z", end_date="2000-01-02T00:00:00Z") == []
    bad = client.get(f"{BASE}/requests.json", {"start_date": "yesterday"})
    assert bad.status_code == 400 and bad.json()[0]["code"] == 400


def test_posting_needs_a_key_whose_role_may_ask(people, world, client):
    anonymous = client.post(f"{BASE}/requests.json", {"service_code": "repair", "lat": "30"})
    assert anonymous.status_code == 403
    assert anonymous.json()[0]["code"] == 403

    wrong = Client(headers={"X-API-Key": "gz_nope_nope"})
    assert wrong.post(f"{BASE}/requests.json", {"service_code": "repair"}).status_code == 403

    street = people.street
    street_key = Client(headers={"X-API-Key": _key(street, world.street)})
    refused = street_key.post(
        f"{BASE}/requests.json", {"service_code": "repair", "address_string": "x"}
    )
    assert refused.status_code == 403  # street officers see and decide; they do not file


def test_a_city_system_posts_a_request_into_a_grid(people, world):
    keyed = Client(headers={"X-API-Key": _key(people.grid_worker, world.grid_a1)})

    response = keyed.post(
        f"{BASE}/requests.json",
        {
            "service_code": "sanitation",
            "address_string": world.household_a1.address,
            "lat": "30.1234567",
            "long": "111.7654321",
            "description": "楼下垃圾桶满溢",
            "first_name": "明",
            "last_name": "张",
            "phone": "13912345678",
            "attribute[priority]": "high",
            "media_url": "http://example.com/x.jpg",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body[0]) == {"service_request_id", "service_notice", "account_id"}
    order = WorkOrder.objects.get(pk=int(body[0]["service_request_id"]))
    assert (order.channel, order.priority, order.household) == (
        Channel.OPEN311,
        "high",
        world.household_a1,
    )
    assert order.contact_name == "张 明" and str(order.contact_phone) == "139****5678"
    assert str(order.lat) == "30.123457"


def test_posting_validates_location_and_code(people, world):
    keyed = Client(headers={"X-API-Key": _key(people.grid_worker, world.grid_a1)})

    missing = keyed.post(f"{BASE}/requests.json", {"service_code": "repair", "description": "x"})
    unknown = keyed.post(f"{BASE}/requests.json", {"service_code": "nope", "lat": "1", "long": "1"})
    outside = keyed.post(
        f"{BASE}/requests.json",
        {"service_code": "repair", "address_id": world.building_b1.code, "description": "x"},
    )
    empty = keyed.post(
        f"{BASE}/requests.json", {"service_code": "repair", "address_id": world.building_a1.code}
    )

    assert [r.status_code for r in (missing, unknown, outside, empty)] == [400, 404, 400, 400]
    assert "description" in empty.json()[0]["description"]
    assert not WorkOrder.objects.exists()


def test_xml_is_served_too(people, client):
    order = new_order(people)

    services = ET.fromstring(client.get(f"{BASE}/services.xml").content)  # noqa: S314 - our own output
    requests = ET.fromstring(client.get(f"{BASE}/requests/{order.pk}.xml").content)  # noqa: S314
    missing = client.get(f"{BASE}/requests/999999.xml")

    assert services.tag == "services" and services.find("service/service_code") is not None
    assert requests.tag == "service_requests"
    assert requests.find("request/service_request_id").text == str(order.pk)
    assert missing.status_code == 404
    assert ET.fromstring(missing.content).find("error/code").text == "404"  # noqa: S314


def test_discovery_names_the_endpoint(db, client):
    body = client.get(f"{BASE}/discovery.json").json()

    assert body["endpoints"][0]["url"].endswith("/open311/v2/")


def test_a_list_attribute_offers_key_name_values(db, client):
    body = client.get(f"{BASE}/services/repair.json").json()

    lists = [a for a in body["attributes"] if a["datatype"] == "singlevaluelist"]
    assert lists, "priority is a single-value list"
    for attribute in lists:
        assert attribute["values"]
        assert all(set(v) == {"key", "name"} for v in attribute["values"])


def test_the_specs_api_key_parameter_works_as_well_as_the_header(people, world):
    raw = _key(people.grid_worker, world.grid_a1)

    response = Client().post(
        f"{BASE}/requests.json",
        {
            "api_key": raw,
            "service_code": "repair",
            "address_id": world.building_a1.code,
            "description": "路灯不亮",
        },
    )

    assert response.status_code == 201, response.content
    order = WorkOrder.objects.get(pk=int(response.json()[0]["service_request_id"]))
    assert order.channel == Channel.OPEN311 and order.place == world.building_a1


# --- findings of the outside review (each attacked before it was fixed) -----------------


def _errors(response) -> list[dict]:
    """The spec's error list, whichever format the response is in."""
    if response["Content-Type"].startswith("text/xml"):
        root = ET.fromstring(response.content)  # noqa: S314 - our own output
        assert root.tag == "errors"
        return [
            {"code": int(e.findtext("code")), "description": e.findtext("description")}
            for e in root.findall("error")
        ]
    body = json.loads(response.content)
    assert isinstance(body, list) and body, body
    assert all(set(e) == {"code", "description"} for e in body), body
    return body


def test_impossible_dates_are_a_400_in_the_specs_format(people, world, client):
    for query in (
        {"start_date": "2026-13-01T00:00:00Z"},
        {"end_date": "2026-02-30"},
        {"start_date": "2026-01-01T25:00:00Z"},
        {"end_date": "0001-01-01T00:00:00Z"},
    ):
        response = client.get(f"{BASE}/requests.json", query)
        assert response.status_code == 400, (query, response.content)
        [error] = _errors(response)
        assert error["code"] == 400 and next(iter(query)) in error["description"]

    xml = client.get(f"{BASE}/requests.xml", {"end_date": "2026-02-30"})
    assert xml.status_code == 400 and _errors(xml)[0]["code"] == 400


def test_an_impossible_preferred_time_is_a_400_naming_the_attribute(people, world):
    keyed = Client(headers={"X-API-Key": _key(people.grid_worker, world.grid_a1)})

    response = keyed.post(
        f"{BASE}/requests.json",
        {
            "service_code": "repair",
            "address_id": world.building_a1.code,
            "description": "路灯不亮",
            "attribute[preferred_time]": "2026-02-30T09:00:00+08:00",
        },
    )

    assert response.status_code == 400
    assert "attribute[preferred_time]" in _errors(response)[0]["description"]
    assert not WorkOrder.objects.exists()


def test_a_foreign_jurisdiction_is_refused_not_filed_in_the_keys_grid(people, world):
    keyed = Client(headers={"X-API-Key": _key(people.grid_worker, world.grid_a1)})

    foreign = keyed.post(
        f"{BASE}/requests.json",
        {
            "jurisdiction_id": world.community_b.code,
            "service_code": "repair",
            "lat": "39.9042",
            "long": "116.4074",
            "description": "路灯不亮",
        },
    )
    unknown = keyed.post(
        f"{BASE}/requests.json",
        {"jurisdiction_id": "nowhere.example", "service_code": "repair", "lat": "1",
         "long": "1", "description": "x"},
    )  # fmt: skip

    assert foreign.status_code == 404 and "jurisdiction_id" in _errors(foreign)[0]["description"]
    assert unknown.status_code == 404
    assert not WorkOrder.objects.exists()


def test_the_keys_own_jurisdiction_is_accepted(people, world):
    keyed = Client(headers={"X-API-Key": _key(people.grid_worker, world.grid_a1)})

    response = keyed.post(
        f"{BASE}/requests.json",
        {
            "jurisdiction_id": world.community_a.code,
            "service_code": "repair",
            "address_id": world.building_a1.code,
            "description": "路灯不亮",
        },
    )

    assert response.status_code == 201, response.content


def test_an_unknown_jurisdiction_is_404_on_every_endpoint(people, client):
    order = new_order(people)
    query = {"jurisdiction_id": "nowhere.example"}

    for url in (
        f"{BASE}/services.json",
        f"{BASE}/services/repair.json",
        f"{BASE}/requests.json",
        f"{BASE}/requests/{order.pk}.json",
    ):
        response = client.get(url, query)
        assert response.status_code == 404, url
        assert "jurisdiction_id" in _errors(response)[0]["description"]


def test_a_jurisdiction_limits_the_list_and_the_single_request(people, world, client):
    order = new_order(people)  # in community A

    mine = client.get(f"{BASE}/requests.json", {"jurisdiction_id": world.community_a.code})
    other = client.get(f"{BASE}/requests.json", {"jurisdiction_id": world.community_b.code})
    one = client.get(
        f"{BASE}/requests/{order.pk}.json", {"jurisdiction_id": world.community_b.code}
    )

    assert [r["service_request_id"] for r in mine.json()] == [str(order.pk)]
    assert other.json() == []
    assert one.status_code == 404


def test_service_request_id_overrides_every_other_argument(people, client):
    old = new_order(people)
    closed = order_in(people, Status.CLOSED, code="errands")
    WorkOrder.objects.filter(pk=old.pk).update(submitted_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))

    response = client.get(
        f"{BASE}/requests.json",
        {
            "service_request_id": f"{old.pk},{closed.pk}",
            "status": "open",
            "service_code": "nope",
            "start_date": "2026-13-01T00:00:00Z",
        },
    )

    assert response.status_code == 200, response.content
    assert {r["service_request_id"] for r in response.json()} == {str(old.pk), str(closed.pk)}


def test_repeated_list_parameters_are_a_union(people, client):
    open_order = new_order(people)
    closed = order_in(people, Status.CLOSED, code="errands")

    both = client.get(f"{BASE}/requests.json?status=open&status=closed").json()
    codes = client.get(f"{BASE}/requests.json?service_code=repair&service_code=errands").json()
    ids = client.get(
        f"{BASE}/requests.json?service_request_id={open_order.pk}&service_request_id={closed.pk}"
    ).json()

    expected = {str(open_order.pk), str(closed.pk)}
    assert {r["service_request_id"] for r in both} == expected
    assert {r["service_request_id"] for r in codes} == expected
    assert {r["service_request_id"] for r in ids} == expected


def test_a_repeated_single_value_parameter_is_refused(people, world, client):
    keyed = Client(headers={"X-API-Key": _key(people.grid_worker, world.grid_a1)})

    listed = client.get(
        f"{BASE}/requests.json?start_date=2026-01-01T00:00:00Z&start_date=2026-02-01T00:00:00Z"
    )
    posted = keyed.post(
        f"{BASE}/requests.json",
        "service_code=repair&service_code=errands&lat=30&long=111&description=x",
        content_type="application/x-www-form-urlencoded",
    )

    assert listed.status_code == 400 and "start_date" in _errors(listed)[0]["description"]
    assert posted.status_code == 400 and "service_code" in _errors(posted)[0]["description"]
    assert not WorkOrder.objects.exists()


def test_lat_needs_long_and_long_needs_lat(people, world):
    keyed = Client(headers={"X-API-Key": _key(people.grid_worker, world.grid_a1)})
    base = {
        "service_code": "repair",
        "description": "路灯不亮",
        "address_id": world.building_a1.code,
    }

    lat_only = keyed.post(f"{BASE}/requests.json", {**base, "lat": "30.1"})
    long_only = keyed.post(f"{BASE}/requests.json", {**base, "long": "111.7"})

    for response in (lat_only, long_only):
        assert response.status_code == 400
        description = _errors(response)[0]["description"]
        assert "lat" in description and "long" in description
    assert not WorkOrder.objects.exists()


def test_a_description_over_the_specs_4000_characters_is_a_400_naming_it(people, world):
    keyed = Client(headers={"X-API-Key": _key(people.grid_worker, world.grid_a1)})

    response = keyed.post(
        f"{BASE}/requests.json",
        {"service_code": "repair", "address_id": world.building_a1.code,
         "description": "漏" * 4001},
    )  # fmt: skip

    assert response.status_code == 400
    [error] = _errors(response)
    assert error["description"].startswith("description") and "4000" in error["description"]


def test_the_address_runs_from_the_most_specific_to_the_most_general(people, world, client):
    order = new_order(people)
    keyed = Client(headers={"X-API-Key": _key(people.grid_worker, world.grid_a1)})

    public = client.get(f"{BASE}/requests/{order.pk}.json").json()[0]["address"]
    full = keyed.get(f"{BASE}/requests/{order.pk}.json").json()[0]["address"]

    assert public == f"{world.grid_a1.name}, {world.community_a.name}"
    assert full == f"{world.household_a1.address}, {world.grid_a1.name}, {world.community_a.name}"


def test_an_unknown_format_is_an_error_in_the_specs_format(db, client):
    for url in (f"{BASE}/services.csv", f"{BASE}/requests.html", f"{BASE}/services/repair.yaml"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response["Content-Type"].startswith("text/xml")  # XML: the spec's required one
        description = _errors(response)[0]["description"]
        assert "json" in description and "xml" in description


def test_an_unknown_resource_is_a_404_in_the_specs_format(db, client):
    for url, kind in (
        (f"{BASE}/nothing.json", "application/json"),
        (f"{BASE}/requests/abc.json", "application/json"),
        (f"{BASE}/tokens/123.xml", "text/xml"),
        (f"{BASE}/services", "text/xml"),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"].startswith(kind), url
        assert _errors(response)[0]["code"] == 404


def test_a_wrong_method_is_an_error_in_the_specs_format(db, client):
    for method, url in (
        ("post", f"{BASE}/services.json"),
        ("delete", f"{BASE}/requests.json"),
        ("put", f"{BASE}/requests/1.xml"),
        ("post", f"{BASE}/discovery.json"),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 405, (method, url)
        assert "GET" in response["Allow"]
        assert _errors(response)[0]["code"] == 405


def test_a_body_that_is_not_utf8_is_refused(people, world):
    keyed = Client(headers={"X-API-Key": _key(people.grid_worker, world.grid_a1)})
    gbk = b"service_code=repair&lat=30&long=111&description=" + "路灯不亮".encode("gbk")

    raw = keyed.post(f"{BASE}/requests.json", gbk, content_type="application/x-www-form-urlencoded")
    escaped = keyed.post(
        f"{BASE}/requests.json",
        "service_code=repair&lat=30&long=111&description=%C2%B7%FF",
        content_type="application/x-www-form-urlencoded",
    )
    declared = keyed.post(
        f"{BASE}/requests.xml",
        "service_code=repair&lat=30&long=111&description=x",
        content_type="application/x-www-form-urlencoded; charset=gbk",
    )
    query = keyed.get(f"{BASE}/requests.json?service_code=%FF")

    for response in (raw, escaped, declared, query):
        assert response.status_code == 400, response.content
        assert "UTF-8" in _errors(response)[0]["description"]
    assert not WorkOrder.objects.exists()


def test_an_oversized_body_is_refused_in_the_specs_format(people, world, settings):
    keyed = Client(headers={"X-API-Key": _key(people.grid_worker, world.grid_a1)})
    huge = "service_code=repair&lat=30&long=111&description=" + "x" * (6 * 1024 * 1024)

    response = keyed.post(
        f"{BASE}/requests.json", huge, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 413
    assert _errors(response)[0]["code"] == 413
    assert not WorkOrder.objects.exists()


def _photo_order(people):
    from gongzhi.workorders.tests.factories import photo

    return new_order(people, photos=[photo()])


def test_media_url_is_an_absolute_signed_link_a_third_party_can_fetch(people, world):
    order = _photo_order(people)
    keyed = Client(headers={"X-API-Key": _key(people.grid_worker, world.grid_a1)})

    url = keyed.get(f"{BASE}/requests/{order.pk}.json").json()[0]["media_url"]
    fetched = Client().get(url)  # a third party: no key, no session

    assert url.startswith("http://testserver/open311/v2/media/")
    assert fetched.status_code == 200
    attachment = order.attachments.get()
    assert fetched["Content-Type"] == attachment.content_type
    assert fetched["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in fetched["Content-Security-Policy"]
    assert b"".join(fetched.streaming_content)[:2] == b"\xff\xd8"  # a JPEG


def test_the_media_link_carries_no_personal_data(people, world):
    order = _photo_order(people)
    keyed = Client(headers={"X-API-Key": _key(people.grid_worker, world.grid_a1)})

    url = keyed.get(f"{BASE}/requests/{order.pk}.json").json()[0]["media_url"]

    person = world.person_a1
    for value in (person.name, person.id_number.reveal(), person.phone.reveal(),
                  world.household_a1.address, order.description):  # fmt: skip
        assert value not in url


def test_a_tampered_or_expired_media_link_is_refused(people, world):
    from gongzhi.core import clock

    order = _photo_order(people)
    keyed = Client(headers={"X-API-Key": _key(people.grid_worker, world.grid_a1)})
    url = keyed.get(f"{BASE}/requests/{order.pk}.json").json()[0]["media_url"]
    token = url.rsplit("/", 1)[1]
    other = str(order.attachments.get().pk + 1)

    tampered = Client().get(url[: -len(token)] + other + token[token.index(":") :])
    truncated = Client().get(url[:-3])
    with clock.freeze(clock.now() + dt.timedelta(days=8)):
        expired = Client().get(url)

    assert tampered.status_code == 404 and _errors(tampered)[0]["code"] == 404
    assert truncated.status_code == 404
    assert expired.status_code == 403 and _errors(expired)[0]["code"] == 403


def test_the_public_never_gets_a_media_url(people, client):
    order = _photo_order(people)

    assert client.get(f"{BASE}/requests/{order.pk}.json").json()[0]["media_url"] is None
