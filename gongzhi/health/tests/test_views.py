import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from gongzhi.health.models import UpstreamList
from gongzhi.health.tests import factories as f


@pytest.fixture
def upstream_list(world):
    rows = [f.person_row(world.person_a1), ["陈新", "", "13700000001", "", "", "=1+2"]]
    return f.matched(world.community_a, rows)


def content(response):
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


def test_the_watch_list_shows_masked_values(client, world, upstream_list):
    client.force_login(world.grid_worker_a)
    response = client.get(reverse("health:watchlist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert str(world.person_a1.id_number) in body
    assert world.person_a1.id_number.reveal() not in body
    assert "陈新" not in body  # unrouted: the community's staff see it, not grid A1's worker


@pytest.mark.parametrize("fmt", ["csv", "csv-gbk", "xlsx"])
def test_the_watch_list_exports_with_the_viewers_masking(client, world, upstream_list, fmt):
    client.force_login(world.secretary)
    response = client.get(reverse("health:watchlist"), {"format": fmt})
    assert response.status_code == 200
    data = content(response)
    if fmt == "xlsx":
        import io

        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data)).active
        values = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
        text = "\n".join(values)
    else:
        text = data.decode("gb18030" if fmt == "csv-gbk" else "utf-8-sig")
    assert str(world.person_a1.id_number) in text
    assert world.person_a1.id_number.reveal() not in text
    assert world.person_a1.phone.reveal() not in text
    assert "'=1+2" in text  # formula injection neutralised


def test_the_upstream_lists_export(client, world, upstream_list):
    client.force_login(world.secretary)
    response = client.get(reverse("health:upstream_list_index"), {"export": "csv"})
    assert "测试名单" in content(response).decode("utf-8-sig")


def test_the_lists_use_the_shared_export_control(client, world, upstream_list):
    client.force_login(world.secretary)
    for url in (reverse("health:watchlist"), reverse("health:upstream_list_index")):
        body = client.get(url).content.decode()
        assert "?export=xlsx" in body and "?export=csv-gbk" in body, url


def test_the_watch_list_export_is_the_filtered_list(client, world, upstream_list):
    client.force_login(world.secretary)
    response = client.get(reverse("health:watchlist"), {"export": "csv", "tier": "none"})
    text = content(response).decode("utf-8-sig")
    assert "陈新" in text and world.person_a1.name not in text


def test_filtering_in_place_updates_the_export_links(client, world, upstream_list):
    """The filters apply with htmx (no page load): the export links come along out of band,
    so an export is what the page shows, not what it showed when it loaded."""
    client.force_login(world.secretary)
    response = client.get(
        reverse("health:watchlist"), {"tier": "none"}, HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="results",
    )  # fmt: skip
    body = response.content.decode()
    assert 'id="list-export" hx-swap-oob="true"' in body
    assert "?tier=none&amp;export=xlsx" in body


def test_an_entry_without_a_follower_says_so(client, world, upstream_list):
    client.force_login(world.secretary)
    with translation.override("en"):
        body = client.get(reverse("health:watchlist"), {"tier": "none"}).content.decode()
    assert "未分派" in body


def test_uploading_through_the_page(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.secretary)
    data = f.csv_bytes([f.person_row(world.person_a1)])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("health:upstream_list_upload"),
            {
                "area": world.community_a.pk,
                "kind": "arrivals",
                "name": "3月14日推送",
                "source": "省大数据中心",
                "file": SimpleUploadedFile("push.csv", data),
            },
        )
    created = UpstreamList.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("health:upstream_list_detail", args=[created.pk])
    assert len(callbacks) == 1


def test_a_bad_upload_shows_the_rule_on_the_file_field(client, world):
    client.force_login(world.secretary)
    with translation.override("en"):
        response = client.post(
            reverse("health:upstream_list_upload"),
            {
                "area": world.community_a.pk,
                "kind": "arrivals",
                "file": SimpleUploadedFile("x.csv", f.csv_bytes([["a"]], header=["姓名"])),
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not UpstreamList.objects.exists()


def test_following_up_through_the_page(client, world, upstream_list):
    entry = upstream_list.entries.get(row_number=2)
    client.force_login(world.grid_worker_a)
    url = reverse("health:entry_transition", args=[entry.pk])
    response = client.post(url, {"action": "review", "review-note": "需上门核实"})
    assert response.status_code == 302
    response = client.post(url, {"action": "verify", "verify-note": ""})
    assert response.status_code == 200
    form = response.context["forms"]["verify"]
    assert {"method", "found", "note"} <= set(form.errors)
    response = client.post(
        url,
        {
            "action": "verify",
            "verify-method": "visit",
            "verify-found": "yes",
            "verify-note": "在家",
        },
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == "verified" and entry.found is True


def test_the_entry_page_offers_the_actions_of_its_status(client, world, upstream_list):
    entry = upstream_list.entries.get(row_number=2)
    client.force_login(world.grid_worker_a)
    response = client.get(reverse("health:entry_detail", args=[entry.pk]))
    assert set(response.context["forms"]) == {"review", "dismiss"}
    assert response.context["assign_form"] is None  # grid workers do not reassign


def test_staff_route_an_entry_through_the_page(client, world, upstream_list):
    entry = upstream_list.entries.get(row_number=3)
    client.force_login(world.secretary)
    response = client.post(
        reverse("health:entry_assign", args=[entry.pk]), {"assign-grid": world.grid_a2.pk}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.grid == world.grid_a2 and entry.assignee == world.grid_worker_b


def test_the_list_page_polls_while_matching(client, world):
    upstream_list = f.upload(world.community_a, [f.person_row(world.person_a1)])
    client.force_login(world.secretary)
    response = client.get(reverse("health:upstream_list_detail", args=[upstream_list.pk]))
    assert response.context["running"] is True
    assert 'hx-trigger="every 3s"' in response.content.decode()


def test_a_lists_name_is_名称_and_a_persons_name_is_姓名(client, world, upstream_list):
    """The "Name" msgid read 姓名 everywhere, even as the column of the lists' names."""
    client.force_login(world.secretary)
    with translation.override("zh-hans"):
        lists = client.get(reverse("health:upstream_list_index")).content.decode()
        entries = client.get(reverse("health:watchlist")).content.decode()
    assert "<th>名称</th>" in lists and "<th>姓名</th>" not in lists
    assert "<th>姓名</th>" in entries
