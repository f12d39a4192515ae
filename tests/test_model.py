"""The neutral model: immutable, value-compared, hashable, round-trips through the converter."""

from __future__ import annotations

import attrs
import cattrs
import pytest

import clientbridge as cb


def test_client_is_immutable() -> None:
    client = cb.Client(first_name="Ada")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        client.first_name = "Grace"  # type: ignore[misc]


def test_clients_compare_by_value_and_are_hashable() -> None:
    one = cb.Client(first_name="Ada", custom_fields={"tier": "gold"}, extras={"placio": {"x": 1}})
    two = cb.Client(first_name="Ada", custom_fields={"tier": "gold"}, extras={"placio": {"x": 1}})
    assert one == two
    assert hash(one) == hash(two)
    assert len({one, two}) == 1


def test_unhashable_extras_make_hash_fail_but_not_construction() -> None:
    client = cb.Client(extras={"agencyhandy": {"tags": ["a", "b"]}})
    with pytest.raises(TypeError):
        hash(client)


def test_mapping_fields_are_read_only() -> None:
    client = cb.Client(custom_fields={"tier": "gold"})
    with pytest.raises(TypeError):
        client.custom_fields["tier"] = "silver"  # type: ignore[index]


def test_name_is_derived_from_first_and_last() -> None:
    assert cb.Client(first_name="Ada", last_name="Lovelace").name == "Ada Lovelace"
    assert cb.Client(last_name="Lovelace").name == "Lovelace"
    assert cb.Client(first_name="Ada", name="Countess").name == "Countess"
    assert cb.Client().name is None


def test_email_domain_is_lower_cased_and_text_stripped() -> None:
    client = cb.Client(email="  Ada.King@Example.COM ", first_name=" Ada ")
    assert client.email == "Ada.King@example.com"
    assert client.first_name == "Ada"


def test_empty_strings_mean_not_given() -> None:
    client = cb.Client(first_name="", phone="   ", address=cb.Address())
    assert client.first_name is None
    assert client.phone is None
    assert client.address is None


def test_wrong_types_are_rejected() -> None:
    with pytest.raises(TypeError):
        cb.Client(first_name=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cb.Client(contact_methods=["+44 7911 123456"])  # type: ignore[list-item]


def test_contact_kind_accepts_its_string_value() -> None:
    method = cb.ContactMethod(kind="WhatsApp", value="+447911123456")  # type: ignore[arg-type]
    assert method.kind is cb.ContactKind.WHATSAPP
    assert cb.ContactKind.EMAIL.value == "email"
    with pytest.raises(ValueError, match="unknown contact kind"):
        cb.ContactMethod(kind="pigeon", value="x")  # type: ignore[arg-type]


def test_given_fields_lists_only_what_the_caller_set() -> None:
    client = cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    assert client.given_fields() == ("first_name", "last_name", "email")
    assert "name" in cb.Client(name="Acme").given_fields()
    assert "lead" in cb.Client(lead=True).given_fields()


def test_converter_round_trips_a_rich_client() -> None:
    client = cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        name="Countess of Lovelace",
        email="ada@example.com",
        phone="+44 7911 123456",
        address=cb.Address(line1="1 Main St", city="London", postal_code="SW1A 1AA", country="GB"),
        contact_methods=(cb.ContactMethod(kind=cb.ContactKind.WHATSAPP, value="+447911123456"),),
        lead=True,
        custom_fields={"tier": "gold"},
        extras={"agencyhandy": {"positionInBoard": 3}},
    )
    data = cb.converter.unstructure(client)
    assert data["contact_methods"] == [{"kind": "whatsapp", "value": "+447911123456"}]
    assert data["address"] == {
        "line1": "1 Main St",
        "city": "London",
        "postal_code": "SW1A 1AA",
        "country": "GB",
    }
    assert "title" not in data  # unset fields are left out
    assert cb.converter.structure(data, cb.Client) == client


def test_converter_rejects_unknown_keys() -> None:
    with pytest.raises(cattrs.ClassValidationError) as caught:
        cb.converter.structure({"favourite_colour": "blue"}, cb.Client)
    assert "favourite_colour" in " ".join(cattrs.transform_error(caught.value))


def test_mapping_fields_read_like_dicts() -> None:
    client = cb.Client(custom_fields={"plan": "gold"}, extras={"roostedhr": {"a": 1}})
    assert client.custom_fields.get("plan") == "gold"
    assert client.custom_fields.get("tier") is None
    assert client.custom_fields.get("tier", "none") == "none"
    assert "plan" in client.custom_fields
    assert "tier" not in client.custom_fields
    assert client.extras.get("placio") is None
    assert dict(client.extras["roostedhr"]) == {"a": 1}
