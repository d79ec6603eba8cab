"""`gongzhi setup`: first run on an empty database, by flags and by prompts."""

from __future__ import annotations

import builtins
import getpass
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.accounts.models import Membership, Role, User
from gongzhi.audit.models import AuditEntry
from gongzhi.registry.models import Area, AreaKind
from gongzhi.testing import ensure_reference_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _root(db):
    """The platform root comes from a migration; a transactional test elsewhere empties it."""
    ensure_reference_data()


PASSWORD = "Lantern-river-42!"
FLAGS = {
    "district": "421087",
    "street_code": "421087001",
    "street_name": "新江口街道",
    "community_code": "421087001003",
    "community_name": "玉岭社区",
}


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n")
    return str(path)


def run(**options) -> str:
    out = io.StringIO()
    call_command("setup", no_input=True, language="en", stdout=out, **options)
    return out.getvalue()


def test_setup_by_flags_creates_the_path_and_an_admin_with_a_totp_device(password_file):
    output = run(admin_username="chief", admin_password_file=password_file, **FLAGS)

    path = [(a.kind, a.code, a.name) for a in Area.objects.exclude(kind=AreaKind.ROOT)]
    assert path == [
        ("province", "420000", "湖北省"),
        ("city", "421000", "荆州市"),
        ("district", "421087", "松滋市"),
        ("street", "421087001", "新江口街道"),
        ("community", "421087001003", "玉岭社区"),
    ]
    admin = User.objects.get(username="chief")
    assert admin.check_password(PASSWORD)
    assert Membership.objects.get(user=admin).role == Role.SYSTEM_ADMIN
    assert Membership.objects.get(user=admin).area.kind == AreaKind.ROOT
    device = TOTPDevice.objects.get(user=admin)
    assert not device.confirmed  # confirmed at the first sign-in, which shows the same key
    assert "Key: " in output and "█" in output  # the secret and the QR code
    assert "gongzhi areas import" in output and "gongzhi users" in output
    assert "/login/" in output
    assert PASSWORD not in output


def test_a_second_run_changes_nothing_and_says_what_exists(password_file):
    run(admin_username="chief", admin_password_file=password_file, **FLAGS)
    before = (
        Area.objects.count(),
        User.objects.count(),
        TOTPDevice.objects.count(),
        AuditEntry.objects.count(),
    )

    output = run(admin_username="chief", admin_password_file=password_file, **FLAGS)

    after = (
        Area.objects.count(),
        User.objects.count(),
        TOTPDevice.objects.count(),
        AuditEntry.objects.count(),
    )
    assert after == before
    assert "System administrator: already present (chief)" in output
    assert output.count("Already present:") == 5
    assert "Created:" not in output
    assert "Key: " not in output  # the second factor's key is not shown again


def test_a_second_run_adds_another_community_under_the_same_street(password_file):
    run(admin_username="chief", admin_password_file=password_file, **FLAGS)

    output = run(**{**FLAGS, "community_code": "421087001004", "community_name": "江边社区"})

    assert output.count("Already present:") == 4
    assert "Created: Community 江边社区 (421087001004)." in output
    assert Area.objects.filter(kind=AreaKind.COMMUNITY).count() == 2


@pytest.mark.parametrize(
    ("changes", "flag"),
    [
        ({"community_code": "42108700100"}, "--community-code"),  # 11 digits
        ({"community_code": "421088001003"}, "--community-code"),  # not under the street
        ({"street_code": "42108700"}, "--street-code"),
        ({"street_code": "421088001"}, "--street-code"),  # another district's prefix
        ({"district": "421099"}, "--district"),  # no such division
        ({"district": "421000"}, "--district"),  # a city, not a district
    ],
)
def test_bad_codes_are_refused_naming_the_flag_and_nothing_is_created(password_file, changes, flag):
    with pytest.raises(CommandError) as error:
        run(admin_username="chief", admin_password_file=password_file, **{**FLAGS, **changes})

    assert str(error.value).startswith(flag + ":")
    assert "digits" in str(error.value) or "GB/T 2260" in str(error.value)
    assert not Area.objects.exclude(kind=AreaKind.ROOT).exists()


def test_a_weak_password_is_refused_naming_the_flag(tmp_path):
    weak = tmp_path / "weak"
    weak.write_text("12345678")

    with pytest.raises(CommandError, match=r"^--admin-password-file:"):
        run(admin_username="chief", admin_password_file=str(weak), **FLAGS)

    assert not User.objects.filter(username="chief").exists()


def test_no_input_without_a_password_names_what_is_missing(monkeypatch):
    monkeypatch.delenv("GONGZHI_ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="--admin-password-file"):
        run(admin_username="chief", **FLAGS)


def test_the_password_may_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("GONGZHI_ADMIN_PASSWORD", PASSWORD)
    run(admin_username="chief", **FLAGS)
    assert User.objects.get(username="chief").check_password(PASSWORD)


def test_interactive_setup_asks_confirms_the_second_factor_and_picks_divisions(monkeypatch):
    answers = {
        "Username": "chief",
        "Their name": "王主任",
        "Province code": "42",  # not a code: asked again
        "City (or district) code": "421000",
        "District code": "松滋市",  # a name from the list is taken too
        "Street code": "421087001",
        "Street name": "新江口街道",
        "Community code": "421087001003",
        "Community name": "玉岭社区",
        "Appoint the community's first secretary": "n",
    }
    asked: list[str] = []
    provinces = iter(["42", "420000"])
    community_codes = iter(["42108700100", "421087001003"])  # 11 digits first: asked again

    def fake_input(prompt: str = "") -> str:
        asked.append(prompt)
        if "6-digit code" in prompt:
            device = TOTPDevice.objects.get(user__username="chief")
            return str(totp(device.bin_key)).zfill(6)
        if prompt.startswith("Province code"):
            return next(provinces)
        if prompt.startswith("Community code"):
            return next(community_codes)
        return next(v for k, v in answers.items() if prompt.startswith(k))

    monkeypatch.delenv("GONGZHI_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr(builtins, "input", fake_input)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": PASSWORD)
    out = io.StringIO()

    call_command("setup", language="en", stdout=out)

    admin = User.objects.get(username="chief")
    assert admin.display_name == "王主任"
    assert TOTPDevice.objects.get(user=admin).confirmed
    assert "Second factor confirmed." in out.getvalue()
    assert "Choose one of the codes listed." in out.getvalue()
    assert "A community code has 12 digits" in out.getvalue()
    assert Area.objects.get(kind=AreaKind.COMMUNITY).code == "421087001003"
    assert Area.objects.get(code="421087").parent.code == "421000"


def test_prompts_without_input_end_with_a_clear_error(monkeypatch):
    def no_more(prompt=""):
        raise EOFError

    monkeypatch.setattr(builtins, "input", no_more)
    with pytest.raises(CommandError, match="--no-input"):
        call_command("setup", language="en", stdout=io.StringIO())


def test_a_username_with_spaces_is_refused_naming_the_flag(password_file):
    with pytest.raises(CommandError, match=r"^--admin-username:"):
        run(admin_username="chief admin", admin_password_file=password_file, **FLAGS)
    assert not User.objects.exists()


def test_setup_appoints_the_first_secretary_who_gets_a_link_and_a_second_run_keeps_them(
    password_file,
):
    from gongzhi.accounts.models import AccountLink

    secretary = {
        "secretary_username": "yuling.sec",
        "secretary_name": "李书记",
        "secretary_phone": "13907161234",
    }
    output = run(admin_username="chief", admin_password_file=password_file, **FLAGS, **secretary)

    user = User.objects.get(username="yuling.sec")
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.area.code) == (Role.SECRETARY, "421087001003")
    assert not user.has_usable_password()  # they set it from the texted link
    assert AccountLink.objects.filter(user=user, used_at__isnull=True).count() == 1
    assert "yuling.sec appointed" in output
    assert "13907161234" not in output

    again = run(admin_username="chief", admin_password_file=password_file, **FLAGS, **secretary)
    assert "Secretary: already present (yuling.sec)" in again
    assert User.objects.filter(username="yuling.sec").count() == 1


def test_a_bad_secretary_phone_is_refused_naming_the_flag(password_file):
    with pytest.raises(CommandError, match="--secretary-phone"):
        run(
            admin_username="chief",
            admin_password_file=password_file,
            secretary_username="yuling.sec",
            secretary_name="李书记",
            secretary_phone="12345",
            **FLAGS,
        )
    assert not User.objects.filter(username="yuling.sec").exists()


def test_the_command_leaves_the_callers_language_as_it_was(password_file):
    from django.utils import translation

    with translation.override("zh-hans"):
        run(admin_username="chief", admin_password_file=password_file, **FLAGS)  # in English
        assert translation.get_language() == "zh-hans"
