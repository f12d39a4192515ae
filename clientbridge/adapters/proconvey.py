"""ProConvey "v2 UK-style": first/last names, an E.164 phone and a UK postal address."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import attrs

from clientbridge.adapters.base import (
    Adapter,
    Capabilities,
    FieldProblem,
    FieldRule,
    Picked,
    Picker,
    Prepared,
    Setting,
    address_part,
    take,
    text_or_none,
)
from clientbridge.adapters.checks import DEFAULT_PHONE_REGION, e164_phone, valid_email
from clientbridge.errors import ConfigurationError
from clientbridge.model import Address, Client, ContactKind, ContactMethod
from clientbridge.result import ClientStatus, InviteStatus
from clientbridge.wire import HeaderValue, HttpRequest, JSONValue

__all__ = ["ProConveyAdapter"]

_PHONE_WIRE = "telephoneNumber"
#: Country codes that mean the UK (``UK`` is ISO 3166's exceptional reservation for it).
_UK = frozenset({"GB", "UK"})
_UK_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}|GIR0AA")
_INVITE_FAILED_WARNING = (
    "the client was created in ProConvey but its portal invitation e-mail failed to send; "
    "resend the invitation from ProConvey"
)


def _is_uk(address: Address) -> bool:
    return address.country is None or address.country.upper() in _UK


_POSTCODE_SOURCES = ("address.postal_code", "address")


def _postcode(client: Client) -> Picked | None:
    """``postal_code``, as ``SW1A 1AA`` when it looks like a UK postcode, else as given."""
    address = client.address
    if address is None or address.postal_code is None:
        return None
    compact = "".join(address.postal_code.split()).upper()
    if _is_uk(address) and _UK_POSTCODE.fullmatch(compact):
        return Picked(f"{compact[:-3]} {compact[-3:]}", _POSTCODE_SOURCES)
    return Picked(address.postal_code, _POSTCODE_SOURCES)


def _required_with_address(picker: Picker) -> Picker:
    """``picker``, failing when an address is given without this part."""

    def pick(client: Client) -> Picked | None:
        picked = picker(client)
        if client.address is not None and picked is None:
            raise FieldProblem("is required by ProConvey when an address is sent")
        return picked

    return pick


def _address_rule(wire: str, part: str, pick: Picker | None = None) -> FieldRule:
    return FieldRule(
        wire=f"address.{wire}",
        neutral=("address",),
        pick=pick or address_part(part),
        label=f"address.{part}",
    )


#: Address field → the key of ProConvey's address object that holds it.
_ADDRESS_PARTS = {
    "line1": "line_1",
    "line2": "line_2",
    "line3": "line_3",
    "city": "post_town",
    "region": "county",
    "postal_code": "postcode",
    "uprn": "uprn",
}


class ProConveyAdapter(Adapter):
    name = "proconvey"
    display_name = "ProConvey"
    aliases = ("uk-v2",)
    settings_spec = (
        Setting(
            name="api_key",
            description="API key (sent as a bearer token)",
            required=True,
            secret=True,
            sandbox_default="sandbox-proconvey-key",
        ),
        Setting(
            name="base_url",
            description="your organisation's host, e.g. https://yourorg.proconvey.co.uk",
            required=True,
            url=True,
            sandbox_default="https://proconvey.sandbox.invalid",
        ),
        Setting(
            name="default_region",
            description="region (ISO 3166-1 alpha-2) for reading national phone numbers",
            default=DEFAULT_PHONE_REGION,
        ),
    )
    fields = (
        FieldRule(
            wire="firstName", neutral=("first_name",), pick=take("first_name"), required=True
        ),
        FieldRule(wire="lastName", neutral=("last_name",), pick=take("last_name"), required=True),
        FieldRule(
            wire="emailAddress",
            neutral=("email",),
            pick=take("email"),
            required=True,
            check=valid_email,
        ),
        FieldRule(wire="title", neutral=("title",), pick=take("title")),
        FieldRule(wire="companyName", neutral=("company_name",), pick=take("company_name")),
        FieldRule(
            wire=_PHONE_WIRE,
            neutral=("phone",),
            pick=e164_phone(lambda: DEFAULT_PHONE_REGION),
            note="E.164; national numbers are read in default_region",
        ),
        _address_rule("line_1", "line1", _required_with_address(address_part("line1"))),
        _address_rule("line_2", "line2"),
        _address_rule("line_3", "line3"),
        _address_rule("post_town", "city"),
        _address_rule("county", "region"),
        _address_rule("postcode", "postal_code", _required_with_address(_postcode)),
        _address_rule("uprn", "uprn"),
    )
    # 409 to a client whose email the organisation holds already (the sandbox does the same)
    capabilities = Capabilities(invite_status=True, unique_email=True)
    status_key = "status"
    status_table = {
        "Active": ClientStatus.ACTIVE,
        "Invited": ClientStatus.ACTIVE,
        "NotInvited": ClientStatus.ACTIVE,
        "SendFailed": ClientStatus.ACTIVE,
        "Closed": ClientStatus.CLOSED,
    }
    invite_table = {
        "Active": InviteStatus.CONNECTED,
        "Invited": InviteStatus.INVITED,
        "NotInvited": InviteStatus.NOT_INVITED,
        "SendFailed": InviteStatus.INVITE_FAILED,
        "Closed": InviteStatus.UNKNOWN,
    }
    # Client records carry personal data; error bodies may echo one.
    sensitive_keys = frozenset({"dob", "niNumber"})

    def __init__(self, settings: Mapping[str, object]) -> None:
        super().__init__(settings)
        import phonenumbers

        region = str(self.setting("default_region") or DEFAULT_PHONE_REGION).upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ConfigurationError(
                f"default_region {region!r} is not a region phone numbers can be read in; "
                'give an ISO 3166-1 alpha-2 code such as "GB" or "US"'
            )
        self.settings["default_region"] = region
        phone = e164_phone(lambda: region)
        self._field_rules = tuple(
            attrs.evolve(rule, pick=phone) if rule.wire == _PHONE_WIRE else rule
            for rule in self.fields
        )

    def field_rules(self) -> tuple[FieldRule, ...]:
        return self._field_rules

    def dropped_fields(self, client: Client, sent: set[str]) -> tuple[str, ...]:
        address = client.address
        if address is not None and address.country and _is_uk(address):
            # Stored as a UK address: a GB country is what ProConvey records imply.
            sent = sent | {"address.country"}
        return super().dropped_fields(client, sent)

    def dropped_reason(self, field: str) -> str:
        if field == "address.country":
            return "ProConvey stores UK addresses only: the address was sent without its country"
        return super().dropped_reason(field)

    def dropped_warning(self, field: str) -> str:
        if field == "address.country":
            return (
                "address.country is not sent: ProConvey stores UK addresses only, so the "
                "address was sent without its country"
            )
        return super().dropped_warning(field)

    def auth_headers(self) -> Mapping[str, HeaderValue]:
        return {"Authorization": self.bearer("api_key")}

    def build_create_request(
        self, batch: Sequence[Prepared], resolved: Mapping[str, str]
    ) -> HttpRequest:
        return self.post_json(self.url("api", "v2", "clients"), batch[0].payload)

    def record_warnings(self, record: Mapping[str, JSONValue]) -> list[str]:
        return [_INVITE_FAILED_WARNING] if record.get("status") == "SendFailed" else []

    def parse_record(self, record: Mapping[str, JSONValue]) -> Client:
        first, middle, last = (
            text_or_none(record.get(key)) for key in ("firstName", "middleName", "lastName")
        )
        address = record.get("address")
        parsed_address = None
        if isinstance(address, dict):
            parts = {
                field: text_or_none(address.get(wire)) for field, wire in _ADDRESS_PARTS.items()
            }
            # ProConvey stores UK addresses only, so its records name no country.
            country = "GB" if any(value and value.strip() for value in parts.values()) else None
            parsed_address = Address(**parts, country=country)
        alternative = text_or_none(record.get("altTelephoneNumber"))
        return Client(
            first_name=first,
            last_name=last,
            name=" ".join(part for part in (first, middle, last) if part) or None,
            email=text_or_none(record.get("emailAddress")),
            phone=text_or_none(record.get("telephoneNumber")),
            company_name=text_or_none(record.get("companyName")),
            title=text_or_none(record.get("title")),
            address=parsed_address,
            contact_methods=(
                (ContactMethod(kind=ContactKind.PHONE, value=alternative),) if alternative else ()
            ),
            avatar_url=text_or_none(record.get("avatarUrl")),
        )
