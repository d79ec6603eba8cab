from gongzhi.registry.forms import field_label


def test_a_model_field_gets_a_label():
    assert field_label("household") not in ("", "household")


def test_a_reverse_relation_name_is_its_own_label_not_an_error():
    # Household.persons, Person.changes, Person.tag_links are reverse relations: no
    # verbose_name; a history or error keyed by one was an AttributeError (found by mypy).
    for name in ("persons", "changes", "tag_links"):
        assert field_label(name) == name
