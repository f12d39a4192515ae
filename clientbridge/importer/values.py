"""Values as people write them: country names, full names, national phone numbers.

* `country_code` turns "United Kingdom", "UK", "England", "Deutschland" or "USA" into an
  ISO 3166-1 alpha-2 code with pycountry (names, official names, alpha-3 codes and the
  local names pycountry lacks are in `COUNTRY_ALIASES`);
* `split_full_name` splits "Dr Ada King-Lovelace" into first and last name with
  nameparser, for providers that need the two;
* `phone_in_country` writes a national phone number in E.164 using the row's country.

pycountry, nameparser and phonenumbers are imported on first use.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import attrs

__all__ = ["COUNTRY_ALIASES", "NameParts", "country_code", "phone_in_country", "split_full_name"]

#: Names people write that pycountry does not know (compared in lower case). The UK's
#: nations are not countries in ISO 3166-1: their addresses are GB addresses.
COUNTRY_ALIASES: Mapping[str, str] = {
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "cymru": "GB",
    "northern ireland": "GB",
    "united kingdom of great britain and northern ireland": "GB",
    "usa": "US",
    "u.s.a.": "US",
    "u.s.": "US",
    "united states of america": "US",
    "america": "US",
    "deutschland": "DE",
    "österreich": "AT",
    "schweiz": "CH",
    "suisse": "CH",
    "españa": "ES",
    "italia": "IT",
    "nederland": "NL",
    "holland": "NL",
    "the netherlands": "NL",
    "belgië": "BE",
    "belgique": "BE",
    "éire": "IE",
    "eire": "IE",
    "republic of ireland": "IE",
    "polska": "PL",
    "sverige": "SE",
    "norge": "NO",
    "danmark": "DK",
    "suomi": "FI",
    "россия": "RU",
    "russia": "RU",
    "south korea": "KR",
    "north korea": "KP",
    "czech republic": "CZ",
    "vietnam": "VN",
    "uae": "AE",
}


@functools.lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """The ISO 3166-1 alpha-2 code ``text`` names, or None when it names no country."""
    value = text.strip()
    if not value:
        return None
    alias = COUNTRY_ALIASES.get(value.lower())
    if alias is not None:
        return alias
    import pycountry

    if len(value) == 2 and value.isalpha():
        found = pycountry.countries.get(alpha_2=value.upper())
        return str(found.alpha_2) if found is not None else None
    try:  # a name, an official name or an alpha-3 code
        return str(pycountry.countries.lookup(value).alpha_2)
    except LookupError:
        pass
    try:
        matches = pycountry.countries.search_fuzzy(value)
    except LookupError:
        return None
    # search_fuzzy also matches subdivisions ("Bavaria" gives DE) and parts of names:
    # only a country whose common name is the text itself is taken.
    named = [
        match
        for match in matches
        if str(getattr(match, "common_name", "")).lower() == value.lower()
    ]
    return str(named[0].alpha_2) if len(named) == 1 else None


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
    """``phone`` in E.164 when it is a valid national number of ``country``; otherwise
    as written (an international number, or one the provider's own rules read)."""
    text = phone.strip()
    if not country or text.startswith(("+", "00")):
        return text
    import phonenumbers

    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_valid_number(number):
        return text
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
