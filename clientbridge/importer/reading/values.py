"""Values as people write them: full names, national phone numbers.

* `split_full_name` splits "Dr Ada King-Lovelace" into first and last name with
  nameparser, for providers that need the two;
* `phone_in_country` writes a national phone number in E.164 using the row's country.

Countries ("United Kingdom", "USA") and emails are normalised by the model when the
`Client` and its `Address` are built (`clientbridge.countries`); a phone number is judged
by the rule adapters apply (`clientbridge.adapters.checks.e164`). nameparser is imported
on first use.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

import attrs

from clientbridge.adapters.checks import e164
from clientbridge.adapters.fields import FieldProblem
from clientbridge.countries import country_code
from clientbridge.importer.reading.vocabulary import (
    ADDRESS_COLUMNS,
)

__all__ = ["NameParts", "organisation_rule", "phone_in_country", "split_full_name"]


@attrs.frozen
class NameParts:
    """A full name split into the parts providers ask for."""

    first: str
    last: str
    #: a salutation written with the name ("Dr"), or None
    title: str | None = None


@functools.lru_cache(maxsize=1)
def _name_words() -> frozenset[str]:
    """Titles, suffixes, surname particles and conjunctions nameparser knows."""
    from nameparser.config import CONSTANTS

    words: set[str] = set()
    for group in (
        CONSTANTS.titles,
        CONSTANTS.prefixes,
        CONSTANTS.suffix_acronyms,
        CONSTANTS.suffix_not_acronyms,
        CONSTANTS.conjunctions,
    ):
        words.update(str(word).lower() for word in group)
    return frozenset(words | {word + "." for word in words})


def split_full_name(name: str) -> NameParts | None:
    """First and last name (and a salutation) from a full name, or None when it does
    not hold both (a single word, or a company)."""
    words = name.split()
    if len(words) < 2:
        return None
    if len(words) == 2 and "," not in name and not (_name_words() & {w.lower() for w in words}):
        # "Ada Lovelace": what nameparser would say, without its ~130 µs a name
        return NameParts(words[0], words[1])
    from nameparser import HumanName

    parsed = HumanName(name)
    first = " ".join(part for part in (parsed.first, parsed.middle) if part).strip()
    last = " ".join(part for part in (parsed.last, parsed.suffix) if part).strip()
    if not first or not parsed.last:
        return None
    return NameParts(first, last, parsed.title or None)


def phone_in_country(phone: str, country: str | None) -> str:
    """``phone`` in E.164 when it is a number of ``country`` (a code, name or alias) by the
    rule adapters apply; otherwise as written (an international number, or one the
    adapter reads in its own default region)."""
    text = phone.strip()
    region = country_code(country) if country else None
    if region is None or text.startswith(("+", "00")):
        return text
    try:
        return e164(text, region)
    except FieldProblem:
        return text


#: Legal forms, as written after a company's name (compared without dots and case).
LEGAL_FORMS = frozenset(
    {
        "ltd",
        "limited",
        "llp",
        "llc",
        "lp",
        "plc",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "cic",
        "gmbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "ev",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "vof",
        "ab",
        "as",
        "asa",
        "aps",
        "oy",
        "oyj",
        "pty",
        "kk",
        "pte",
        "sl",
        "sc",
    }
)

#: Last words only organisations' names end in.
ORGANISATION_WORDS = frozenset(
    {
        "holdings",
        "group",
        "partners",
        "partnership",
        "associates",
        "solicitors",
        "accountants",
        "architects",
        "lettings",
        "estates",
        "properties",
        "consulting",
        "consultants",
        "services",
        "solutions",
        "systems",
        "technologies",
        "agency",
        "trust",
        "foundation",
        "charity",
        "association",
        "society",
        "council",
        "university",
        "college",
        "school",
        "club",
    }
)

#: Legal forms that are also people's surnames ("Sa", "Ab"): an organisation's only when
#: written in capitals or with dots ("SA", "S.A.").
_AMBIGUOUS = frozenset(
    {"co", "sa", "ag", "kg", "ab", "as", "nv", "bv", "sl", "sc", "kk", "ug", "ev", "lp", "oy"}
    | {"sas", "srl", "pte", "aps", "asa", "ohg", "vof", "spa"}
)

_AND_CO = re.compile(r"(?:&|\band\b)\s*(co\b\.?|company\b|sons\b|partners\b)", re.IGNORECASE)

_WORDS = re.compile(r"[^\W_]+(?:[.'][^\W_]+)*\.?", re.UNICODE)


def organisation_rule(name: str) -> str | None:
    """Why ``name`` is an organisation's ("legal form 'Ltd'"), or None for a person's."""
    match = _AND_CO.search(name)
    if match:
        return f"{match.group(0).strip()!r} in the name"
    words = _WORDS.findall(name)
    if len(words) < 2:
        return None
    last = words[-1]
    key = last.replace(".", "").lower()
    if key in LEGAL_FORMS and (key not in _AMBIGUOUS or last.isupper() or "." in last):
        return f"legal form {last!r}"
    if key in ORGANISATION_WORDS:
        return f"{last!r}, a word that ends organisations' names"
    return None


def _split_street(fields: dict[str, str]) -> None:
    """A street written on several lines fills ``address_line1`` to ``address_line3``
    (lines past the third are kept in the third, joined by commas)."""
    street = fields.get("address_line1", "")
    if "\n" not in street and "\r" not in street:
        return
    lines = [line.strip() for line in street.splitlines() if line.strip()]
    free = [column for column in ("address_line2", "address_line3") if not fields.get(column)]
    slots = ["address_line1", *free]
    for column, text in zip(slots, lines, strict=False):
        fields[column] = text
    if len(lines) > len(slots):
        fields[slots[-1]] = ", ".join(lines[len(slots) - 1 :])


def _organisation_name(fields: dict[str, str]) -> tuple[str, ...]:
    """A single name that names an organisation is its company name, not a person's."""

    name = fields.get("name")
    if not name or "first_name" in fields or "last_name" in fields:
        return ()
    rule = organisation_rule(name)
    if rule is None:
        return ()
    if fields.setdefault("company_name", name) == name:
        del fields["name"]
        return (f"name {name!r} read as the company name, not a person's ({rule})",)
    fields["name"] = name  # another company is named: the name is kept whole, not split
    return (f"name {name!r} is an organisation's ({rule}): kept whole, not split",)


def _place_addresses(fields: dict[str, str], addresses: dict[str, dict[str, str]]) -> None:
    """The first address with a value is the client's; the others become custom fields."""
    has_address = any(column in fields for column in ADDRESS_COLUMNS)
    for group, parts in addresses.items():
        label = parts.pop("label", "").lstrip("* ").strip()
        if not parts:
            continue
        line1 = " ".join(part for part in (parts.get("number"), parts.get("line1")) if part)
        if not line1 and parts.get("po_box"):
            box = parts["po_box"]
            line1 = box if box.lower().startswith(("po", "p.o")) else f"PO Box {box}"
        structured = {
            "address_line1": line1,
            "address_line2": parts.get("line2", ""),
            "address_line3": parts.get("line3", ""),
            "address_city": parts.get("city", ""),
            "address_region": parts.get("region", ""),
            "address_postal_code": parts.get("postal_code", ""),
            "address_country": parts.get("country", ""),
        }
        if not any(structured.values()) and parts.get("spaced"):
            structured.update(_spaced_address(parts["spaced"]))
        if not any(structured.values()) and parts.get("formatted"):
            lines = [line.strip() for line in parts["formatted"].splitlines() if line.strip()]
            structured["address_line1"] = ", ".join(lines)
        if not has_address:
            fields.update((column, text) for column, text in structured.items() if text)
            has_address = True
        else:
            name = (label or group).lower()
            joined = ", ".join(text for text in structured.values() if text)
            fields.setdefault(f"custom.{name} address", joined)


#: A two-letter region code (a US state, a Canadian province), as an address writes it.
_REGION_CODE = re.compile(r"[A-Z]{2}\Z")


def _spaced_address(text: str) -> dict[str, str]:
    """An address written on one line with its parts separated by two spaces or more
    (street, second line, city, region, postcode, country), as mailing-list exports
    write it: in place when all six are there (empty ones too), else read from the end
    (a country, a postcode with a digit, a region when there is room or it is a code)."""
    from clientbridge.countries import country_code

    columns = ("line1", "line2", "city", "region", "postal_code", "country")
    exact = text.strip().split("  ")
    if len(exact) == len(columns):  # every part in its place, the empty ones too
        return {f"address_{c}": part.strip() for c, part in zip(columns, exact, strict=True)}
    parts = [part.strip() for part in re.split(r"\s{2,}", text.strip()) if part.strip()]
    found: dict[str, str] = {}
    if len(parts) > 1 and country_code(parts[-1]):
        found["address_country"] = parts.pop()
    if len(parts) > 1 and any(char.isdigit() for char in parts[-1]):
        found["address_postal_code"] = parts.pop()
    if len(parts) > 2 and (len(parts) >= 4 or _REGION_CODE.match(parts[-1])):
        found["address_region"] = parts.pop()
    if len(parts) > 1:
        found["address_city"] = parts.pop()
    for column, line in zip(
        ("address_line1", "address_line2", "address_line3"), parts, strict=False
    ):
        found[column] = line
    if len(parts) > 3:
        found["address_line3"] = ", ".join(parts[2:])
    return found


def _phone_kind(channel: str, label: str) -> str:
    text = label.lower()
    if channel != "phone":
        return channel
    if "fax" in text:
        return "fax"
    if "whatsapp" in text:
        return "whatsapp"
    if "pager" in text:
        return "other"
    return "phone"


def _place_channels(
    fields: dict[str, str],
    extra: list[tuple[str, str]],
    channels: list[tuple[bool, int, str, str, str]],
    labels: Mapping[tuple[str, str], str],
    country: str | None,
) -> None:

    ranked = []
    for primary, order, channel, group, value in channels:
        label = labels.get((channel, group), "")
        starred = label.startswith("*")
        kind = _phone_kind(channel, label)
        ranked.append((not (primary or starred), order, kind, value))
    ranked.sort(key=lambda item: item[:2])  # stable: values of one cell keep their order
    seen: set[tuple[str, str]] = set()
    for _, _, kind, value in ranked:
        if kind != "email":
            value = phone_in_country(value, country)
        if (kind, value) in seen:
            continue
        seen.add((kind, value))
        if kind in ("email", "phone") and kind not in fields:
            fields[kind] = value
        elif fields.get(kind) != value:
            extra.append((f"contact.{kind}", value))
    if "phone" in fields and country:
        fields["phone"] = phone_in_country(fields["phone"], country)


def _split_name(fields: dict[str, str]) -> tuple[str, ...]:
    name = fields.get("name")
    if not name or "first_name" in fields or "last_name" in fields:
        return ()

    parts = split_full_name(name)
    if parts is None:
        return ()
    fields["first_name"], fields["last_name"] = parts.first, parts.last
    if parts.title and "title" not in fields:
        fields["title"] = parts.title
    return (f"name {name!r} split into first name {parts.first!r} and last name {parts.last!r}",)
