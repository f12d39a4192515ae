"""The neutral model: `Client`, `Address`, `ContactMethod`, `ContactKind`.

Immutable value objects. They know nothing of HTTP or of any provider: an adapter
turns them into wire payloads, and a provider's answer is parsed back into them.
"""

from __future__ import annotations

import enum
import operator
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

import attrs

__all__ = ["Address", "Client", "ContactKind", "ContactMethod", "FrozenMapping"]

_V = TypeVar("_V")


class FrozenMapping(Mapping[str, _V]):
    """A read-only, hashable mapping (hashable while its values are)."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, _V] | Iterable[tuple[str, _V]] = ()) -> None:
        self._data: dict[str, _V] = dict(data)
        self._hash: int | None = None

    def __getitem__(self, key: str) -> _V:
        return self._data[key]

    # The dict's own: Mapping's defaults go through __getitem__ and a caught KeyError.
    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMapping):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self._data)


class ContactKind(str, enum.Enum):
    """A channel to reach a client."""

    EMAIL = "email"
    PHONE = "phone"
    WHATSAPP = "whatsapp"
    FAX = "fax"
    OTHER = "other"

    def __str__(self) -> str:
        return self.value


def _optional_text(value: object) -> str | None:
    """Strip text; an empty value means "not given"."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected a str or None, got {type(value).__name__}")
    value = value.strip()
    return value or None


def _email_text(text: str) -> str:
    """An email as written, as one spelling: Unicode NFC, the domain in lower case."""
    text = unicodedata.normalize("NFC", text)
    local, at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}" if at else text


def _normalise_email(value: object) -> str | None:
    """Strip, NFC and lower-case the domain; validity is judged by the adapter that sends it."""
    text = _optional_text(value)
    return None if text is None else _email_text(text)


def _country(value: object) -> str | None:
    """The ISO 3166-1 alpha-2 code a country's code, name or alias names; a value that
    names no country is kept as given (an adapter that reads the country refuses it)."""
    text = _optional_text(value)
    if text is None:
        return None
    from clientbridge.countries import country_code  # its alias table, on first use

    return country_code(text) or text


def _to_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError(f"expected a bool, got {type(value).__name__}")


def _contact_kind(value: object) -> ContactKind:
    if isinstance(value, ContactKind):
        return value
    if isinstance(value, str):
        try:
            return ContactKind(value.strip().lower())
        except ValueError:
            kinds = ", ".join(kind.value for kind in ContactKind)
            raise ValueError(f"unknown contact kind {value!r}; use one of {kinds}") from None
    raise TypeError(f"expected a ContactKind, got {type(value).__name__}")


def _required_text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a str, got {type(value).__name__}")
    return value.strip()


@attrs.frozen(kw_only=True)
class ContactMethod:
    """An extra channel: ``ContactMethod(kind=ContactKind.WHATSAPP, value="+447911123456")``."""

    kind: ContactKind = attrs.field(converter=_contact_kind)
    value: str = attrs.field(converter=_required_text)
    preferred: bool = attrs.field(default=False, converter=_to_bool)

    def __attrs_post_init__(self) -> None:
        if self.kind is ContactKind.EMAIL:
            # One spelling of an address, as `Client.email` stores it.
            object.__setattr__(self, "value", _email_text(self.value))


def _contact_methods(value: object) -> tuple[ContactMethod, ...]:
    if value is None or value == ():
        return ()
    if type(value) is not tuple and (
        isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable)
    ):
        raise TypeError("contact_methods must be a sequence of ContactMethod")
    methods = tuple(value)
    for method in methods:
        if not isinstance(method, ContactMethod):
            raise TypeError(f"contact_methods holds a {type(method).__name__}, not a ContactMethod")
    return methods


#: The shared empty mapping (immutable, so one instance serves every client).
_EMPTY: FrozenMapping[Any] = FrozenMapping()


def _text_mapping(value: object) -> FrozenMapping[str]:
    if value is None or value is _EMPTY:
        return _EMPTY
    if not isinstance(value, Mapping):
        raise TypeError("custom_fields must be a mapping of str to str")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise TypeError("custom_fields must be a mapping of str to str")
    return value if isinstance(value, FrozenMapping) else FrozenMapping(value)


def _extras(value: object) -> FrozenMapping[Mapping[str, object]]:
    if value is None or value is _EMPTY:
        return _EMPTY
    if not isinstance(value, Mapping):
        raise TypeError("extras must be a mapping of adapter name to a mapping of fields")
    frozen: dict[str, Mapping[str, object]] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, Mapping):
            raise TypeError("extras must be a mapping of adapter name to a mapping of fields")
        frozen[key] = item if isinstance(item, FrozenMapping) else FrozenMapping(item)
    return FrozenMapping(frozen)


@attrs.frozen(kw_only=True)
class Address:
    """A postal address. ``region`` is a state or county, ``uprn`` the UK Unique Property
    Reference Number.

    ``country`` is stored as an ISO 3166-1 alpha-2 code: a code, a country's name (in
    English or its own language) or a common alias (``"UK"``, ``"England"``, ``"USA"``)
    becomes the code when the address is built (``Address(country="United Kingdom")
    .country == "GB"``); a value that names no country is kept as given.
    """

    line1: str | None = attrs.field(default=None, converter=_optional_text)
    line2: str | None = attrs.field(default=None, converter=_optional_text)
    line3: str | None = attrs.field(default=None, converter=_optional_text)
    city: str | None = attrs.field(default=None, converter=_optional_text)
    region: str | None = attrs.field(default=None, converter=_optional_text)
    postal_code: str | None = attrs.field(default=None, converter=_optional_text)
    country: str | None = attrs.field(default=None, converter=_country)
    uprn: str | None = attrs.field(default=None, converter=_optional_text)

    @property
    def lines(self) -> tuple[str, ...]:
        """The street lines that are present, in order."""
        return tuple(filter(None, (self.line1, self.line2, self.line3)))

    def is_empty(self) -> bool:
        return not (
            self.line1
            or self.line2
            or self.line3
            or self.city
            or self.region
            or self.postal_code
            or self.country
            or self.uprn
        )


def _optional_address(value: object) -> Address | None:
    if value is None:
        return None
    if isinstance(value, Address):
        return None if value.is_empty() else value
    raise TypeError(f"address must be an Address, got {type(value).__name__}")


@attrs.frozen(kw_only=True)
class Client:
    """A client (customer) as clientbridge sees it, whatever the provider.

    Every field is optional; each adapter says which it requires. ``name`` is derived
    as ``"first last"`` when it is not given. ``email`` is stored stripped, in Unicode NFC,
    with its domain in lower case, so two spellings of one address are one email. ``phone``
    is kept as written: an adapter that sends it writes it in E.164, reading a number
    without its country code in the region of ``address.country`` (else its default).
    """

    first_name: str | None = attrs.field(default=None, converter=_optional_text)
    last_name: str | None = attrs.field(default=None, converter=_optional_text)
    name: str | None = attrs.field(default=None, converter=_optional_text)
    email: str | None = attrs.field(default=None, converter=_normalise_email)
    phone: str | None = attrs.field(default=None, converter=_optional_text)
    company_name: str | None = attrs.field(default=None, converter=_optional_text)
    title: str | None = attrs.field(default=None, converter=_optional_text)
    address: Address | None = attrs.field(default=None, converter=_optional_address)
    contact_methods: tuple[ContactMethod, ...] = attrs.field(default=(), converter=_contact_methods)
    avatar_url: str | None = attrs.field(default=None, converter=_optional_text)
    source: str | None = attrs.field(default=None, converter=_optional_text)
    lead: bool = attrs.field(default=False, converter=_to_bool)
    external_id: str | None = attrs.field(default=None, converter=_optional_text)
    custom_fields: Mapping[str, str] = attrs.field(default=_EMPTY, converter=_text_mapping)
    extras: Mapping[str, Mapping[str, object]] = attrs.field(default=_EMPTY, converter=_extras)

    def __attrs_post_init__(self) -> None:
        if self.name is None and self.full_name is not None:
            object.__setattr__(self, "name", self.full_name)  # derived display name

    @property
    def full_name(self) -> str | None:
        """``"first last"`` from the parts that are given, or None."""
        return " ".join(filter(None, (self.first_name, self.last_name))) or None

    def given_fields(self) -> tuple[str, ...]:
        """Names of the fields that hold a value (``name`` when it is not merely derived)."""
        # One C call reads every field (this runs for each create, twice).
        given = [
            name for name, value in zip(_FIELD_NAMES, _FIELD_VALUES(self), strict=True) if value
        ]
        if self.name is not None and self.name == self.full_name:
            given.remove("name")
        return tuple(given)


_FIELD_NAMES = tuple(field.name for field in attrs.fields(Client))
_FIELD_VALUES = operator.attrgetter(*_FIELD_NAMES)
