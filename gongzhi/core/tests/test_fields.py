from django.db import connection

from gongzhi.core.fields import Sealed
from gongzhi.registry.models import Person


def _raw(column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM registry_person WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_personal_values_are_stored_encrypted(world):
    person = Person.objects.get(pk=world.person_a1.pk)
    plain_id = person.id_number.reveal()
    plain_phone = person.phone.reveal()
    assert plain_id not in _raw("id_number", person.pk)
    assert plain_phone not in _raw("phone", person.pk)
    assert _raw("id_number", person.pk).startswith(person.id_number.key_id + ":")


def test_reading_a_personal_value_gives_the_masked_text(world):
    person = Person.objects.get(pk=world.person_a1.pk)
    assert isinstance(person.phone, Sealed)
    assert str(person.phone) == person.phone.reveal()[:3] + "****" + person.phone.reveal()[-4:]
    assert "****" in f"{person.id_number}"


def test_assigning_plaintext_encrypts_on_save(world):
    person = Person.objects.get(pk=world.person_a1.pk)
    person.phone = "13700001111"
    person.save()
    assert "13700001111" not in _raw("phone", person.pk)
    assert Person.objects.get(pk=person.pk).phone.reveal() == "13700001111"
