from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice


def test_user_with_an_enrolled_device_must_pass_it_before_working(client, world):
    TOTPDevice.objects.create(user=world.grid_worker_a, name="phone", confirmed=True)
    client.force_login(world.grid_worker_a)
    response = client.get(reverse("registry:household_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:second_factor")


def test_user_without_a_device_or_a_role_that_needs_one_works_directly(client, world):
    client.force_login(world.grid_worker_a)
    assert client.get(reverse("registry:household_list")).status_code == 200


def test_unverified_auditor_gets_a_json_403_from_the_api(client, world):
    client.force_login(world.by_role["auditor"])
    response = client.get("/api/v1/households")
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"
