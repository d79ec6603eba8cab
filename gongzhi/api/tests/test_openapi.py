"""The API describes itself, and every answer outside an operation keeps the error shape."""

from gongzhi.api.main import api
from gongzhi.api.tests.conftest import assert_error

OPERATIONS = {
    ("get", "/api/v1/areas"): "area_list",
    ("post", "/api/v1/areas"): "area_create",
    ("get", "/api/v1/areas/{area_id}"): "area_get",
    ("patch", "/api/v1/areas/{area_id}"): "area_update",
    ("get", "/api/v1/households"): "household_list",
    ("post", "/api/v1/households"): "household_create",
    ("get", "/api/v1/households/{household_id}"): "household_get",
    ("patch", "/api/v1/households/{household_id}"): "household_update",
    ("post", "/api/v1/households/{household_id}/move"): "household_move",
    ("get", "/api/v1/persons"): "person_list",
    ("post", "/api/v1/persons"): "person_create",
    ("get", "/api/v1/persons/{person_id}"): "person_get",
    ("patch", "/api/v1/persons/{person_id}"): "person_update",
    ("post", "/api/v1/persons/{person_id}/move-out"): "person_move_out",
    ("post", "/api/v1/persons/{person_id}/move-in"): "person_move_in",
    ("put", "/api/v1/persons/{person_id}/tags"): "person_tags_set",
    ("post", "/api/v1/persons/{person_id}/reveal"): "person_reveal",
    ("get", "/api/v1/tags"): "tag_list",
    # Work orders (issue 4).
    ("get", "/api/v1/workorder-categories"): "workorder_category_list",
    ("get", "/api/v1/workorders"): "workorder_list",
    ("post", "/api/v1/workorders"): "workorder_create",
    ("post", "/api/v1/workorders/bulk"): "workorder_bulk",
    ("get", "/api/v1/workorders/{workorder_id}"): "workorder_get",
    ("get", "/api/v1/workorders/{workorder_id}/timeline"): "workorder_timeline",
    ("get", "/api/v1/workorders/{workorder_id}/suggestions"): "workorder_suggestions",
    ("post", "/api/v1/workorders/{workorder_id}/dispatch"): "workorder_dispatch",
    ("post", "/api/v1/workorders/{workorder_id}/accept"): "workorder_accept",
    ("post", "/api/v1/workorders/{workorder_id}/decline"): "workorder_decline",
    ("post", "/api/v1/workorders/{workorder_id}/start"): "workorder_start",
    ("post", "/api/v1/workorders/{workorder_id}/evidence"): "workorder_evidence",
    ("post", "/api/v1/workorders/{workorder_id}/resolve"): "workorder_resolve",
    ("post", "/api/v1/workorders/{workorder_id}/solve"): "workorder_solve",
    ("post", "/api/v1/workorders/{workorder_id}/escalate"): "workorder_escalate",
    ("post", "/api/v1/workorders/{workorder_id}/rate"): "workorder_rate",
    ("post", "/api/v1/workorders/{workorder_id}/callback"): "workorder_callback",
    ("post", "/api/v1/workorders/{workorder_id}/reopen"): "workorder_reopen",
    ("post", "/api/v1/workorders/{workorder_id}/cancel"): "workorder_cancel",
    ("get", "/api/v1/workorders/{workorder_id}/photos/{photo_id}"): "workorder_photo_get",
    # Visits (issue 12).
    ("get", "/api/v1/visits"): "visit_list",
    ("post", "/api/v1/visits"): "visit_create",
    ("get", "/api/v1/visits/due"): "visit_due_list",
    # Imports, upstream lists and watch lists, reports (issue 3).
    ("get", "/api/v1/imports"): "import_list",
    ("post", "/api/v1/imports"): "import_upload",
    ("get", "/api/v1/imports/{import_id}"): "import_get",
    ("put", "/api/v1/imports/{import_id}/mapping"): "import_mapping_set",
    ("post", "/api/v1/imports/{import_id}/check"): "import_check",
    ("post", "/api/v1/imports/{import_id}/commit"): "import_commit",
    ("get", "/api/v1/imports/{import_id}/rows"): "import_rows",
    ("get", "/api/v1/imports/{import_id}/report"): "import_report",
    ("get", "/api/v1/upstream-lists"): "upstream_list_list",
    ("post", "/api/v1/upstream-lists"): "upstream_list_upload",
    ("get", "/api/v1/upstream-lists/{upstream_list_id}"): "upstream_list_get",
    ("post", "/api/v1/upstream-lists/{upstream_list_id}/rematch"): "upstream_list_rematch",
    ("get", "/api/v1/watchlists"): "watchlist_summary",
    ("get", "/api/v1/watchlists/entries"): "watch_entry_list",
    ("get", "/api/v1/watchlists/entries/{entry_id}"): "watch_entry_get",
    ("post", "/api/v1/watchlists/entries/{entry_id}/transition"): "watch_entry_transition",
    ("post", "/api/v1/watchlists/entries/{entry_id}/assign"): "watch_entry_assign",
    ("get", "/api/v1/report-fields"): "report_field_catalogue",
    ("get", "/api/v1/report-templates"): "report_template_list",
    ("post", "/api/v1/report-templates"): "report_template_upload",
    ("post", "/api/v1/report-templates/ready-made"): "report_template_install",
    ("get", "/api/v1/report-templates/{template_id}"): "report_template_get",
    ("put", "/api/v1/report-templates/{template_id}/mapping"): "report_template_map",
    ("put", "/api/v1/report-templates/{template_id}/schedule"): "report_template_schedule",
    ("post", "/api/v1/report-templates/{template_id}/fill"): "report_fill",
    ("get", "/api/v1/reports"): "report_list",
    ("get", "/api/v1/reports/{report_id}"): "report_get",
    ("get", "/api/v1/reports/{report_id}/download"): "report_download",
    # Transfer requests (issue 10).
    ("get", "/api/v1/transfers"): "transfer_list",
    ("post", "/api/v1/transfers"): "transfer_create",
    ("get", "/api/v1/transfers/{transfer_id}"): "transfer_get",
    ("post", "/api/v1/transfers/{transfer_id}/approve"): "transfer_approve",
    ("post", "/api/v1/transfers/{transfer_id}/decline"): "transfer_decline",
    ("post", "/api/v1/transfers/{transfer_id}/cancel"): "transfer_cancel",
    # Report-ins (双报到), the 8-household pairing, family proxy requests (issue 12).
    ("get", "/api/v1/reportins"): "reportin_list",
    ("get", "/api/v1/reportins/{reportin_id}"): "reportin_get",
    ("post", "/api/v1/reportins/{reportin_id}/approve"): "reportin_approve",
    ("post", "/api/v1/reportins/{reportin_id}/refuse"): "reportin_refuse",
    ("get", "/api/v1/volunteers/{volunteer_id}/pairings"): "pairing_get",
    ("put", "/api/v1/volunteers/{volunteer_id}/pairings"): "pairing_set",
    ("get", "/api/v1/proxy-requests"): "proxy_request_list",
    ("post", "/api/v1/proxy-requests/{proxy_request_id}/approve"): "proxy_request_approve",
    ("post", "/api/v1/proxy-requests/{proxy_request_id}/refuse"): "proxy_request_refuse",
    # Staff administration and one's own sign-ins (issue 12).
    ("get", "/api/v1/accounts"): "account_list",
    ("post", "/api/v1/accounts"): "account_create",
    ("get", "/api/v1/accounts/{account_id}"): "account_get",
    ("post", "/api/v1/accounts/{account_id}/roles"): "account_role_grant",
    ("post", "/api/v1/accounts/{account_id}/roles/{account_role_id}/revoke"): "account_role_revoke",
    ("post", "/api/v1/accounts/{account_id}/invite"): "account_invite",
    ("post", "/api/v1/accounts/{account_id}/reset-password"): "account_reset_password",
    ("post", "/api/v1/accounts/{account_id}/deactivate"): "account_deactivate",
    ("post", "/api/v1/accounts/{account_id}/reactivate"): "account_reactivate",
    ("post", "/api/v1/accounts/{account_id}/reset-second-factor"): "account_reset_second_factor",
    ("get", "/api/v1/role-holders"): "role_holder_list",
    ("get", "/api/v1/me/sign-ins"): "my_sign_ins",
    # Managing the area tree (issue 12).
    ("post", "/api/v1/areas/{area_id}/move"): "area_move",
    ("post", "/api/v1/areas/{area_id}/close"): "area_close",
    ("post", "/api/v1/areas/{area_id}/reopen"): "area_reopen",
    ("get", "/api/v1/areas/{area_id}/geometry"): "area_geometry_get",
    ("put", "/api/v1/areas/{area_id}/geometry"): "area_geometry_put",
    ("get", "/api/v1/areas/{area_id}/map"): "area_map",
    # Certificates of service hours (issue 13): public, like the /verify page.
    ("post", "/api/v1/certificates/verify"): "certificate_verify",
    ("get", "/api/v1/certificates/keys"): "certificate_keys",
    # The points square's activities and rankings (issue 13).
    ("get", "/api/v1/points/activities"): "activity_list",
    ("post", "/api/v1/points/activities"): "activity_create",
    ("get", "/api/v1/points/activities/{activity_id}"): "activity_get",
    ("post", "/api/v1/points/activities/{activity_id}/transition"): "activity_transition",
    ("get", "/api/v1/points/open-activities"): "activity_open_list",
    ("post", "/api/v1/points/open-activities/{open_activity_id}/signups"): "activity_signup",
    ("post", "/api/v1/points/checkin"): "activity_checkin",
    ("post", "/api/v1/points/signups/{signup_id}/proofs"): "proof_submit",
    ("get", "/api/v1/points/rankings"): "points_ranking_get",
    # Rewards (能量仓) and their vouchers (issue 13).
    ("get", "/api/v1/rewards/catalogue"): "reward_catalogue",
    ("post", "/api/v1/rewards/{reward_id}/redeem"): "reward_redeem",
    ("get", "/api/v1/vouchers/mine"): "voucher_mine",
    ("post", "/api/v1/vouchers/{voucher_id}/cancel"): "voucher_cancel",
    ("get", "/api/v1/rewards"): "reward_list",
    ("post", "/api/v1/rewards"): "reward_create",
    ("patch", "/api/v1/rewards/{reward_id}"): "reward_update",
    ("post", "/api/v1/rewards/{reward_id}/restock"): "reward_restock",
    ("post", "/api/v1/rewards/{reward_id}/retire"): "reward_retire",
    ("post", "/api/v1/vouchers/hand-over"): "voucher_hand_over",
    ("get", "/api/v1/vouchers/handed-out"): "voucher_handed_out",
    # Points: reviewing proofs, ledgers, adjustments (issue 13).
    ("get", "/api/v1/points/proofs/review"): "proof_review_queue",
    ("post", "/api/v1/points/proofs/{proof_id}/review"): "proof_review",
    ("get", "/api/v1/points/me"): "points_me",
    ("get", "/api/v1/points/me/entries"): "points_me_entries",
    ("get", "/api/v1/points/holders/{holder_id}/entries"): "points_holder_entries",
    ("post", "/api/v1/points/adjustments"): "points_adjustment_propose",
    ("post", "/api/v1/points/adjustments/{adjustment_id}/decide"): "points_adjustment_decide",
    # Notices (issue 13).
    ("get", "/api/v1/notices"): "notice_list",
    ("post", "/api/v1/notices"): "notice_create",
    ("get", "/api/v1/notices/{notice_id}"): "notice_get",
    ("post", "/api/v1/notices/{notice_id}/withdraw"): "notice_withdraw",
    ("get", "/api/v1/notices/{notice_id}/receipts"): "notice_receipts",
    ("get", "/api/v1/me/notices"): "my_notice_list",
    ("post", "/api/v1/me/notices/{notice_id}/read"): "my_notice_read",
    # issue 13: proposals and polls
    ("get", "/api/v1/proposals"): "proposal_list",
    ("get", "/api/v1/proposals/{proposal_id}"): "proposal_get",
    ("post", "/api/v1/proposals/{proposal_id}/support"): "proposal_support",
    ("post", "/api/v1/proposals/{proposal_id}/steps"): "proposal_step",
    ("get", "/api/v1/polls"): "poll_list",
    ("post", "/api/v1/polls"): "poll_create",
    ("get", "/api/v1/polls/{poll_id}"): "poll_get",
    ("post", "/api/v1/polls/{poll_id}/votes"): "poll_vote",
    ("get", "/api/v1/polls/{poll_id}/flags"): "poll_flags",
}
# Operations that anyone may call without credentials (the per-address limit applies).
PUBLIC_OPERATIONS = {"certificate_verify", "certificate_keys"}


def test_openapi_json_is_served_without_signing_in_and_lists_every_operation(client, db):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Gongzhi API"
    assert schema["info"]["version"] == "1"
    found = {
        (method, path): op["operationId"]
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    }
    assert found == OPERATIONS


def test_every_operation_requires_the_key_or_the_session(db):
    schema = api.get_openapi_schema()
    schemes = schema["components"]["securitySchemes"]

    assert schemes["ApiKeyAuth"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["SessionAuth"]["in"] == "cookie"
    for ops in schema["paths"].values():
        for op in ops.values():
            if op["operationId"] in PUBLIC_OPERATIONS:
                assert "security" not in op
                continue
            assert {next(iter(s)) for s in op["security"]} == {"ApiKeyAuth", "SessionAuth"}


def test_every_operation_documents_the_error_shape(client, db):
    schema = client.get("/api/v1/openapi.json").json()

    for ops in schema["paths"].values():
        for op in ops.values():
            for status in ("401", "404", "422"):
                ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut")


def test_person_schema_says_personal_data_is_masked(db):
    person = api.get_openapi_schema()["components"]["schemas"]["PersonOut"]["properties"]

    assert "masked" in person["id_number"]["description"]
    assert "masked" in person["phone"]["description"]


def test_docs_are_served(client, db):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_api_root_is_a_json_index(client, db):
    response = client.get("/api/v1/")

    assert response.status_code == 200
    assert response.json()["openapi"] == "/api/v1/openapi.json"
    assert response.json()["docs"] == "/api/v1/docs"


def test_unknown_api_path_is_a_json_404(client, db):
    assert_error(client.get("/api/v1/no/such/thing"), 404, "not_found")


def test_wrong_method_is_a_json_405(client, world):
    client.force_login(world.grid_worker_a)

    response = client.delete(f"/api/v1/persons/{world.person_a1.pk}")

    body = assert_error(response, 405, "method_not_allowed")
    assert body["fields"] == {}
    assert "GET" in response["Allow"]


def test_answers_are_never_cached(client, world):
    client.force_login(world.grid_worker_a)

    assert client.get("/api/v1/persons")["Cache-Control"] == "no-store"
    assert client.get("/api/v1/persons/0")["Cache-Control"] == "no-store"


def test_healthz_answers_probes(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def _schema_classes(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_schema_classes(sub))
    return found


def test_every_schema_has_a_name_of_its_own(db):
    """The OpenAPI document names a body or an answer by its class name alone: two classes
    of one name (two apps' `MappingIn`) made one operation document the other's fields."""
    from ninja import Schema

    api.get_openapi_schema()  # every router imported
    modules: dict[str, set[str]] = {}
    for cls in _schema_classes(Schema):
        if cls.__module__.startswith("gongzhi.") and ".tests" not in cls.__module__:
            modules.setdefault(cls.__name__, set()).add(cls.__module__)
    assert {name: sorted(m) for name, m in modules.items() if len(m) > 1} == {}
