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

import attrs

from clientbridge.adapters.checks import e164
from clientbridge.adapters.fields import FieldProblem
from clientbridge.countries import country_code

__all__ = ["NameParts", "phone_in_country", "split_full_name"]


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
