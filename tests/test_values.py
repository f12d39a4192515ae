"""Values as people write them (SPEC §2.1): emails, countries and phones are normalised
once, by the model and the adapter that sends them, for the Python API, `create` and
`clientbridge import` alike; Placio's preferred channel is the primary email."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import clientbridge as cb
from clientbridge.cli import CliContext, cli
from clientbridge.countries import COUNTRY_ALIASES, country_code
from clientbridge.docgen import sent_fields
from clientbridge.registry import adapter_class
from clientbridge.sandbox import Sandbox

from .providers import BUILTINS

#: the built-in adapters that send a phone, and those that drop it (read from their rules)
PHONE_SENDERS = tuple(p for p in BUILTINS if "phone" in sent_fields(adapter_class(p)))
PHONE_DROPPERS = tuple(p for p in BUILTINS if p not in PHONE_SENDERS)


def person(**fields: object) -> cb.Client:
    """A client every built-in provider accepts, with ``fields`` on top."""
    values: dict[str, object] = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
    }
    values.update(fields)
    return cb.Client(**values)  # type: ignore[arg-type]


def uk_address(country: str | None = "GB") -> cb.Address:
    return cb.Address(line1="1 Main St", city="London", postal_code="SW1A 1AA", country=country)


def create(provider: str, client: cb.Client) -> cb.CreateResult:
    with cb.connect(provider, sandbox=True) as conn:
        return conn.create(client)


def refused(provider: str, client: cb.Client) -> dict[str, str]:
    """``{field: message}`` of the `ValidationError` a create of ``client`` raises."""
    with cb.connect(provider, sandbox=True) as conn, pytest.raises(cb.ValidationError) as caught:
        conn.create(client)
    return {error.field: error.message for error in caught.value.errors}


def wire_phone(provider: str, result: cb.CreateResult) -> str | None:
    """The phone as the provider stored it."""
    if provider == "placio":
        methods = result.raw["contactMethods"]
        assert isinstance(methods, list)
        return next((m["value"] for m in methods if m["type"] == "phone"), None)
    return result.client.phone


def sent_contact_no(client: cb.Client) -> object:
    """AgencyHandy's ``contactNo`` as a create of ``client`` would send it (its records
    do not echo it)."""
    with cb.connect("agencyhandy", sandbox=True) as conn:
        body = conn.preview(client)[-1].json
    assert isinstance(body, list)
    [entry] = body
    assert isinstance(entry, dict)
    return entry["contactNo"]


# ------------------------------------------------------------------ email


def test_an_email_is_stripped_and_its_domain_lower_cased_when_the_client_is_built() -> None:
    assert cb.Client(email="  Ada.King@EXAMPLE.Co.UK \t").email == "Ada.King@example.co.uk"


def test_an_email_is_stored_in_unicode_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "José@example.com")
    assert decomposed != "José@example.com"
    assert cb.Client(email=decomposed).email == unicodedata.normalize("NFC", "José@example.com")


_LETTERS = st.text(
    alphabet=st.sampled_from("abcdeéèêëüöäåñçøAÉÖÅÑ.-_0123456789\u0301\u0308"),
    min_size=1,
    max_size=12,
)


@given(local=_LETTERS, domain=_LETTERS)
def test_nfd_and_nfc_spellings_of_an_email_are_one_email(local: str, domain: str) -> None:
    written = f"{local}@{domain}.example"
    nfc = cb.Client(email=unicodedata.normalize("NFC", written))
    nfd = cb.Client(email=unicodedata.normalize("NFD", written))
    assert nfc.email == nfd.email
    assert nfc == nfd
    assert hash(nfc) == hash(nfd)
    assert unicodedata.is_normalized("NFC", str(nfc.email))


@given(local=_LETTERS, domain=_LETTERS)
def test_an_email_channel_is_normalised_like_the_primary_email(local: str, domain: str) -> None:
    written = unicodedata.normalize("NFD", f" {local}@{domain.upper()}.example ")
    method = cb.ContactMethod(kind=cb.ContactKind.EMAIL, value=written)
    assert method.value == cb.Client(email=written).email


def test_a_channel_that_is_not_an_email_is_only_stripped() -> None:
    method = cb.ContactMethod(kind=cb.ContactKind.OTHER, value=" Handle@SOCIAL ")
    assert method.value == "Handle@SOCIAL"


def test_nfd_and_nfc_spellings_are_one_client_to_a_provider_with_unique_emails() -> None:
    written = "zoë@example.com"
    with cb.connect("agencyhandy", sandbox=True) as conn:
        conn.create(person(email=unicodedata.normalize("NFC", written)))
        with pytest.raises(cb.DuplicateClientError):
            conn.create(person(email=unicodedata.normalize("NFD", written)))


def test_nfd_and_nfc_spellings_survive_the_converter_as_one_email() -> None:
    data = {"email": unicodedata.normalize("NFD", "Zoë@Example.COM")}
    client = cb.converter.structure(data, cb.Client)
    assert client.email == unicodedata.normalize("NFC", "Zoë@example.com")
    assert cb.converter.structure(cb.converter.unstructure(client), cb.Client) == client


# ------------------------------------------------------------------ country


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("Wales", "GB"),
        ("Northern Ireland", "GB"),
        ("gb", "GB"),
        ("GBR", "GB"),
        ("USA", "US"),
        ("United States of America", "US"),
        ("United States", "US"),
        ("U.S.A.", "US"),
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("DEU", "DE"),
        ("France", "FR"),
        ("fra", "FR"),
        ("España", "ES"),
        ("Italia", "IT"),
        ("Nederland", "NL"),
        ("The Netherlands", "NL"),
        ("Österreich", "AT"),
        ("Schweiz", "CH"),
        ("Sverige", "SE"),
        ("Polska", "PL"),
        ("Éire", "IE"),
        ("Ireland", "IE"),
        ("日本", "JP"),
        ("Türkiye", "TR"),
        ("Russia", "RU"),
        ("South Korea", "KR"),
        ("Viet Nam", "VN"),
        ("Vietnam", "VN"),
    ],
)
def test_an_address_country_becomes_its_iso_alpha_2_code(written: str, code: str) -> None:
    assert cb.Address(country=written).country == code


def test_united_kingdom_is_gb_in_the_python_api() -> None:
    assert cb.Address(country="United Kingdom").country == "GB"
    assert cb.Address(country="United Kingdom") == cb.Address(country="GB")


_ALIASES = sorted(COUNTRY_ALIASES.items())


@given(
    alias=st.sampled_from(_ALIASES),
    cases=st.lists(st.booleans(), min_size=60, max_size=60),
    pad=st.sampled_from(["", " ", "  ", "\t"]),
)
def test_a_country_alias_in_any_case_gives_its_code(
    alias: tuple[str, str], cases: list[bool], pad: str
) -> None:
    name, code = alias
    written = "".join(c.upper() if up else c for c, up in zip(name, cases, strict=False))
    assert cb.Address(country=f"{pad}{written}{pad}").country == code


@pytest.mark.parametrize(("alias", "code"), _ALIASES)
def test_each_alias_is_written_as_compared_and_names_an_assigned_code(
    alias: str, code: str
) -> None:
    import pycountry

    assert alias == unicodedata.normalize("NFC", alias).lower().strip()
    assert "." not in alias
    assert not alias.startswith("the ")
    assert pycountry.countries.get(alpha_2=code) is not None


def test_every_iso_code_and_english_name_in_any_case_gives_its_code() -> None:
    import pycountry

    wrong = []
    for country in pycountry.countries:
        for attribute in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            for written in (value, value.upper(), value.lower()) if value else ():
                if cb.Address(country=written).country != country.alpha_2:
                    wrong.append((written, country.alpha_2))
    assert wrong == []


def test_a_country_that_names_no_country_is_kept_as_given() -> None:
    assert country_code("Narnia") is None
    assert cb.Address(country=" Narnia ").country == "Narnia"
    assert cb.Address(country="XX").country == "XX"


def test_an_adapter_that_reads_the_country_refuses_one_that_names_no_country() -> None:
    errors = refused("proconvey", person(address=uk_address("Narnia")))
    assert "Narnia" in errors["address.country"]
    assert set(errors) == {"address.country"}


def test_an_adapter_that_does_not_read_the_country_does_not_judge_it() -> None:
    result = create("roostedhr", person(address=uk_address("Narnia")))
    assert "address.country" in result.dropped_fields


def test_a_country_name_reaches_proconvey_as_a_uk_address() -> None:
    result = create("proconvey", person(address=uk_address("England")))
    assert result.client.address == cb.Address(
        line1="1 Main St", city="London", postal_code="SW1A 1AA", country="GB"
    )
    assert "address.country" not in result.dropped_fields


# ------------------------------------------------------------------ phone


@pytest.mark.parametrize("provider", PHONE_SENDERS)
def test_a_foreign_number_without_its_country_code_is_refused(provider: str) -> None:
    errors = refused(provider, person(phone="(617) 253-1000"))
    assert "country code" in errors["phone"]
    assert "+446172531000" not in errors["phone"]


@pytest.mark.parametrize("provider", PHONE_SENDERS)
def test_a_number_without_its_country_code_is_read_in_the_address_country(provider: str) -> None:
    address = cb.Address(line1="77 Massachusetts Ave", city="Cambridge", country="USA")
    if provider == "proconvey":  # a non-UK address needs its postcode there
        address = cb.Address(line1="77 Massachusetts Ave", postal_code="02139", country="USA")
    client = person(phone="(617) 253-1000", address=address)
    result = create(provider, client)
    if provider == "agencyhandy":
        assert sent_contact_no(client) == "+16172531000"
    else:
        assert wire_phone(provider, result) == "+16172531000"


def test_a_national_number_of_the_address_country_is_sent_in_e164_in_the_preview() -> None:
    client = person(phone="030 1234567", address=uk_address("Deutschland"))
    with cb.connect("proconvey", sandbox=True) as conn:
        [request] = conn.preview(client)
    assert isinstance(request.json, dict)
    assert request.json["telephoneNumber"] == "+49301234567"


@pytest.mark.parametrize("provider", PHONE_SENDERS)
def test_a_possible_but_invalid_number_is_refused(provider: str) -> None:
    errors = refused(provider, person(phone="07911 654321"))
    assert "not a valid GB phone number" in errors["phone"]
    assert "country code" in errors["phone"]


@pytest.mark.parametrize("provider", PHONE_SENDERS)
def test_an_invalid_international_number_is_refused(provider: str) -> None:
    errors = refused(provider, person(phone="+1 617 253 100"))
    assert "country code" in errors["phone"]


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("07700 900000", "+447700900000"),
        ("07700 900999", "+447700900999"),
        ("01632 960000", "+441632960000"),
        ("01632 960999", "+441632960999"),
        ("020 7946 0000", "+442079460000"),
        ("020 7946 0999", "+442079460999"),
        ("+1 202 555 0100", "+12025550100"),
        ("+1 (617) 555-0199", "+16175550199"),
    ],
)
def test_numbers_reserved_for_fiction_are_accepted(written: str, stored: str) -> None:
    assert wire_phone("proconvey", create("proconvey", person(phone=written))) == stored


def test_a_us_fiction_number_is_read_in_a_us_address() -> None:
    client = person(
        phone="202-555-0143",
        address=cb.Address(line1="1 Main St", postal_code="20001", country="US"),
    )
    assert wire_phone("proconvey", create("proconvey", client)) == "+12025550143"


@pytest.mark.parametrize("written", ["07700 901000", "01632 961000"])
def test_numbers_next_to_the_fiction_ranges_are_refused(written: str) -> None:
    assert "phone" in refused("proconvey", person(phone=written))


@pytest.mark.parametrize("provider", PHONE_DROPPERS)
def test_an_adapter_that_drops_the_phone_does_not_judge_it(provider: str) -> None:
    result = create(provider, person(phone="(617) 253-1000"))
    assert "phone" in result.dropped_fields


def test_a_national_number_in_an_address_country_that_names_no_country_is_refused_there() -> None:
    errors = refused("placio", person(phone="07911 123456", address=uk_address("Narnia")))
    assert set(errors) == {"address.country"}


def test_an_international_number_needs_no_address_country() -> None:
    result = create("placio", person(phone="+44 7911 123456", address=uk_address("Narnia")))
    assert wire_phone("placio", result) == "+447911123456"


def test_proconvey_default_region_reads_numbers_when_the_address_names_no_country() -> None:
    with cb.connect("proconvey", sandbox=True, default_region="US") as conn:
        result = conn.create(person(phone="(617) 253-1000"))
    assert result.client.phone == "+16172531000"


def test_a_whatsapp_number_sent_as_agencyhandy_contact_no_is_read_in_the_address_country() -> None:
    client = person(
        contact_methods=(cb.ContactMethod(kind=cb.ContactKind.WHATSAPP, value="(617) 253-1000"),),
        address=cb.Address(country="US"),
    )
    assert sent_contact_no(client) == "+16172531000"
    errors = refused("agencyhandy", attrs.evolve(client, address=None))
    assert "country code" in errors["contact_methods[0]"]


# ------------------------------------------------------------------ Placio's preferred channel


def preferred(client: cb.Client) -> tuple[str, str]:
    with cb.connect("placio", sandbox=True) as conn:
        [request] = conn.preview(client)
    assert isinstance(request.json, dict)
    methods = request.json["contactMethods"]
    assert isinstance(methods, list)
    [chosen] = [m for m in methods if isinstance(m, dict) and m["isPreferred"]]
    return str(chosen["type"]), str(chosen["value"])


def test_placio_prefers_client_email_over_a_secondary_email_in_contact_methods() -> None:
    client = person(
        email="ada@example.com",
        contact_methods=(cb.ContactMethod(kind=cb.ContactKind.EMAIL, value="ada@work.example"),),
    )
    assert preferred(client) == ("email", "ada@example.com")
    result = create("placio", client)
    assert [m.value for m in result.client.contact_methods if m.preferred] == ["ada@example.com"]
    assert result.client.email == "ada@example.com"  # the primary email, read back


def channel(kind: cb.ContactKind, value: str) -> cb.ContactMethod:
    return cb.ContactMethod(kind=kind, value=value)


@pytest.mark.parametrize(
    ("client", "chosen"),
    [
        pytest.param(
            person(
                contact_methods=(
                    channel(cb.ContactKind.EMAIL, "ada@work.example"),
                    # the model lower-cases domains: this is the primary email itself
                    channel(cb.ContactKind.EMAIL, "ada@EXAMPLE.COM"),
                ),
            ),
            ("email", "ada@example.com"),
            id="client-email-repeated-in-contact-methods",
        ),
        pytest.param(
            cb.Client(
                name="Ada",
                contact_methods=(
                    channel(cb.ContactKind.PHONE, "+447911123456"),
                    channel(cb.ContactKind.EMAIL, "first@example.com"),
                    channel(cb.ContactKind.EMAIL, "second@example.com"),
                ),
            ),
            ("email", "first@example.com"),
            id="no-client-email-first-email-channel",
        ),
        pytest.param(
            cb.Client(
                name="Ada",
                phone="07911 123456",
                contact_methods=(channel(cb.ContactKind.WHATSAPP, "+447700900123"),),
            ),
            ("whatsapp", "+447700900123"),
            id="no-email-first-channel",
        ),
    ],
)
def test_placio_prefers_the_primary_email_else_an_email_else_the_first_channel(
    client: cb.Client, chosen: tuple[str, str]
) -> None:
    assert preferred(client) == chosen


def test_placio_keeps_the_channel_the_caller_marked() -> None:
    client = person(
        contact_methods=(
            cb.ContactMethod(kind=cb.ContactKind.EMAIL, value="ada@work.example", preferred=True),
        ),
    )
    assert preferred(client) == ("email", "ada@work.example")


# ------------------------------------------------------------------ clientbridge import


def import_csv(tmp_path: Path, provider: str, text: str) -> tuple[list[dict[str, str]], Sandbox]:
    import csv

    path = tmp_path / "clients.csv"
    path.write_text(text, encoding="utf-8")
    report = tmp_path / "report.csv"
    sandbox = Sandbox()
    context = CliContext(
        lambda name, asynchronous: sandbox.transport(name, asynchronous=asynchronous)
    )
    args = ["import", str(path), "--provider", provider, "--sandbox", "--report", str(report)]
    CliRunner().invoke(cli, [*args, "--progress", "none"], obj=context)
    with report.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle)), sandbox


def test_import_refuses_a_foreign_number_without_country_and_sends_it_with_one(
    tmp_path: Path,
) -> None:
    rows, sandbox = import_csv(
        tmp_path,
        "proconvey",
        "First Name,Last Name,Email,Phone,Address 1,Postcode,Country\n"
        "Ada,Lovelace,ada@example.com,(617) 253-1000,,,\n"
        "Grace,Hopper,grace@example.com,(617) 253-1000,77 Mass Ave,02139,United States\n",
    )
    assert [row["outcome"] for row in rows] == ["failed", "created"]
    assert "phone: '(617) 253-1000' is not a valid GB phone number" in rows[0]["error"]
    assert "country code" in rows[0]["error"]
    [record] = sandbox.records("proconvey")
    assert record["telephoneNumber"] == "+16172531000"


def test_import_stores_country_names_as_codes_like_the_python_api(tmp_path: Path) -> None:
    rows, sandbox = import_csv(
        tmp_path,
        "proconvey",
        "First Name,Last Name,Email,Address 1,City,Postcode,Country\n"
        "Ada,Lovelace,ada@example.com,1 Main St,London,SW1A 1AA,United Kingdom\n"
        "Grace,Hopper,grace@example.com,1 Main St,London,SW1A 1AA,great britain\n"
        "Alan,Turing,alan@example.com,1 Main St,London,SW1A 1AA,Narnia\n",
    )
    assert [row["outcome"] for row in rows] == ["created", "created", "failed"]
    # stored as GB addresses, so the country is not reported as dropped
    assert "address.country" not in rows[0]["warnings"] + rows[1]["warnings"]
    assert "address.country: 'Narnia' names no country" in rows[2]["error"]
    assert len(sandbox.records("proconvey")) == 2


def test_import_sends_an_nfd_email_as_nfc(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "José@Example.COM")
    rows, sandbox = import_csv(
        tmp_path,
        "placio",
        f"Name,Email\nJosé Núñez,{decomposed}\n",
    )
    assert [row["outcome"] for row in rows] == ["created"]
    [record] = sandbox.records("placio")
    stored = json.dumps(record, ensure_ascii=False)
    assert unicodedata.normalize("NFC", "José@example.com") in stored


def test_import_sees_nfc_and_nfd_spellings_of_an_email_as_one_client(tmp_path: Path) -> None:
    nfc, nfd = (unicodedata.normalize(form, "zoë@example.com") for form in ("NFC", "NFD"))
    rows, sandbox = import_csv(
        tmp_path, "agencyhandy", f"First Name,Last Name,Email\nZoe,One,{nfc}\nZoe,Two,{nfd}\n"
    )
    assert [row["outcome"] for row in rows] == ["created", "failed"]
    assert "Row 2 of this file has the same email" in rows[1]["error"]
    assert len(sandbox.records("agencyhandy")) == 1


def test_import_fails_an_invalid_national_number_with_advice(tmp_path: Path) -> None:
    rows, _ = import_csv(
        tmp_path,
        "placio",
        "Name,Email,Phone\nAda Lovelace,ada@example.com,07911 654321\n",
    )
    assert rows[0]["outcome"] == "failed"
    assert "country code" in rows[0]["error"]


# ------------------------------------------------------------------ clientbridge create


def cli_create(*options: str) -> tuple[int, str, Sandbox]:
    sandbox = Sandbox()
    context = CliContext(
        lambda name, asynchronous: sandbox.transport(name, asynchronous=asynchronous)
    )
    args = ["create", "--provider", "proconvey", "--sandbox", "--first-name", "Ada"]
    args += ["--last-name", "Lovelace", "--email", "ada@example.com", *options]
    result = CliRunner().invoke(cli, args, obj=context)
    return result.exit_code, result.output, sandbox


def test_create_reads_a_national_number_in_the_country_given_by_name() -> None:
    code, output, sandbox = cli_create("--phone", "(617) 253-1000", "--country", "United States")
    assert code == 0, output
    [record] = sandbox.records("proconvey")
    assert record["telephoneNumber"] == "+16172531000"


def test_create_refuses_a_foreign_number_without_its_country_code() -> None:
    code, output, sandbox = cli_create("--phone", "(617) 253-1000")
    assert code != 0
    assert "give it with its country code" in output
    assert sandbox.records("proconvey") == []
