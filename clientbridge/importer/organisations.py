"""People or organisations: whether a single name names a company.

A file with one name column holds people and organisations alike ("Ada Lovelace",
"Harbour Lettings Ltd"). A name that ends in a legal form (Ltd, LLP, Inc, GmbH, plc...),
holds "& Co" or "& Sons", or ends in a word only organisations end in (Holdings,
Partners, Associates...) is an organisation's: it becomes the company name instead of
being split into a first and a last name. `organisation_rule` says which rule decided,
for the report.
"""

from __future__ import annotations

import re

__all__ = ["organisation_rule"]

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
