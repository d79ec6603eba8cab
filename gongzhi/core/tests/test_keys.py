import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from gongzhi.core import crypto
from gongzhi.core.crypto import SM4_GCM, Keyring
from gongzhi.registry import selectors
from gongzhi.registry.models import Person


@pytest.fixture
def keyring_file(tmp_path, settings):
    """The command manages a keyring file; start from the ring the test data was made with."""
    path = tmp_path / "keyring.json"
    path.write_text(settings.GONGZHI_KEYRING)
    settings.GONGZHI_KEYRING = ""
    settings.GONGZHI_KEYRING_FILE = path
    crypto.reset_keyring_cache()
    yield path
    crypto.reset_keyring_cache()


def raw_tokens() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM registry_person")
        return [t for row in cursor.fetchall() for t in row if t]


def test_rotate_reencrypts_every_value_under_the_new_key(world, keyring_file):
    plain = {p.pk: (p.id_number.reveal(), p.phone.reveal()) for p in Person.objects.all()}
    old_key = crypto.keyring().active
    call_command("keys", "rotate")
    ring = crypto.keyring()
    assert ring.active != old_key and old_key in ring.keys
    assert all(t.startswith(ring.active + ":") for t in raw_tokens())
    again = {p.pk: (p.id_number.reveal(), p.phone.reveal()) for p in Person.objects.all()}
    assert again == plain


def test_rotate_to_sm4_switches_the_algorithm(world, keyring_file):
    call_command("keys", "rotate", "--cipher", SM4_GCM)
    ring = crypto.keyring()
    assert ring.keys[ring.active].algorithm == SM4_GCM
    assert Person.objects.get(pk=world.person_a1.pk).phone.reveal()


def test_retire_drops_a_key_nothing_uses(world, keyring_file):
    old_key = crypto.keyring().active
    call_command("keys", "rotate")
    call_command("keys", "retire", old_key)
    assert old_key not in json.loads(keyring_file.read_text())["keys"]
    assert Person.objects.get(pk=world.person_a1.pk).id_number.reveal()


def test_the_active_key_cannot_be_retired(world, keyring_file):
    with pytest.raises(CommandError):
        call_command("keys", "retire", crypto.keyring().active)


def test_rotating_the_index_key_keeps_search_working(world, keyring_file):
    number = world.person_a1.id_number.reveal()
    before = Person.objects.get(pk=world.person_a1.pk).id_number_index
    call_command("keys", "rotate-index")
    after = Person.objects.get(pk=world.person_a1.pk).id_number_index
    assert before != after
    assert list(selectors.person_search_for(user=world.secretary, q=number)) == [world.person_a1]


def test_keyring_from_the_environment_is_not_rewritten(world, settings):
    settings.GONGZHI_KEYRING = json.dumps(Keyring.generate().to_dict())
    with pytest.raises(CommandError, match="GONGZHI_KEYRING"):
        call_command("keys", "rotate")


def test_status_counts_values_per_key(world, keyring_file, capsys):
    call_command("keys", "status")
    out = capsys.readouterr().out
    assert crypto.keyring().active in out
    assert "registry.Person.id_number" in out
