"""Open311 GeoReport v2: responses carry the spec's fields, POST needs a key, the public
sees no personal data."""

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
    assert row["address"] == f"{world.community_a.name} {world.grid_a1.name}"


def test_a_key_in_the_area_sees_the_full_request(people, world):
    order = new_order(people)
    keyed = Client(headers={"X-API-Key": _key(people.grid_worker, world.grid_a1)})
    outside = Client(headers={"X-API-Key": _key(people.grid_worker_b, world.grid_a2)})

    mine = keyed.get(f"{BASE}/requests/{order.pk}.json").json()[0]
    theirs = outside.get(f"{BASE}/requests/{order.pk}.json").json()[0]

    assert mine["description"] == order.description
    assert mine["address"] == world.household_a1.address
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
