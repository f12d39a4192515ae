"""Countries as people write them: "United Kingdom", "UK", "England", "Deutschland", "usa".

`country_code` turns an ISO 3166-1 alpha-2 or alpha-3 code, a country's name in English
(its short, official or common name) or in its own language, or a common alias into the
alpha-2 code; `Address` calls it for its ``country`` when it is built. pycountry knows the
codes and the English names; `COUNTRY_ALIASES` holds what it does not (the UK's nations,
abbreviations, local names). pycountry is imported on first use.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping

__all__ = ["COUNTRY_ALIASES", "country_code", "is_country_code"]

#: Names people write that pycountry does not know, compared in lower case (NFC, spaces
#: collapsed, a leading "the" and dots left out). The UK's nations are not countries in
#: ISO 3166-1: their addresses are GB addresses.
COUNTRY_ALIASES: Mapping[str, str] = {
    # English names and abbreviations
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "united kingdom of great britain and northern ireland": "GB",
    "usa": "US",
    "us": "US",
    "united states of america": "US",
    "america": "US",
    "holland": "NL",
    "republic of ireland": "IE",
    "russia": "RU",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "czech republic": "CZ",
    "turkey": "TR",
    "ivory coast": "CI",
    "cape verde": "CV",
    "swaziland": "SZ",
    "burma": "MM",
    "macedonia": "MK",
    "brunei": "BN",
    "vatican": "VA",
    "vatican city": "VA",
    "palestine": "PS",
    "micronesia": "FM",
    "dr congo": "CD",
    "democratic republic of the congo": "CD",
    "uae": "AE",
    "emirates": "AE",
    # names in the country's own language(s)
    "cymru": "GB",
    "alba": "GB",
    "deutschland": "DE",
    "bundesrepublik deutschland": "DE",
    "österreich": "AT",
    "schweiz": "CH",
    "suisse": "CH",
    "svizzera": "CH",
    "svizra": "CH",
    "españa": "ES",
    "espana": "ES",
    "italia": "IT",
    "nederland": "NL",
    "belgië": "BE",
    "belgie": "BE",
    "belgique": "BE",
    "belgien": "BE",
    "lëtzebuerg": "LU",
    "éire": "IE",
    "eire": "IE",
    "polska": "PL",
    "česko": "CZ",
    "česká republika": "CZ",
    "slovensko": "SK",
    "magyarország": "HU",
    "românia": "RO",
    "българия": "BG",
    "hrvatska": "HR",
    "slovenija": "SI",
    "srbija": "RS",
    "србија": "RS",
    "ελλάδα": "GR",
    "ελλάς": "GR",
    "hellas": "GR",
    "κύπρος": "CY",
    "türkiye": "TR",
    "sverige": "SE",
    "norge": "NO",
    "noreg": "NO",
    "danmark": "DK",
    "suomi": "FI",
    "ísland": "IS",
    "eesti": "EE",
    "latvija": "LV",
    "lietuva": "LT",
    "россия": "RU",
    "российская федерация": "RU",
    "україна": "UA",
    "беларусь": "BY",
    "brasil": "BR",
    "méxico": "MX",
    "perú": "PE",
    "日本": "JP",
    "nihon": "JP",
    "nippon": "JP",
    "中国": "CN",
    "zhongguo": "CN",
    "대한민국": "KR",
    "한국": "KR",
    "भारत": "IN",
    "bharat": "IN",
    "ประเทศไทย": "TH",
    "việt nam": "VN",
    "misr": "EG",
    "مصر": "EG",
    "ישראל": "IL",
    "المغرب": "MA",
    "al-maghrib": "MA",
    "aotearoa": "NZ",
    "luxemburg": "LU",
    "kalaallit nunaat": "GL",
    "føroyar": "FO",
    "kıbrıs": "CY",  # noqa: RUF001 (Turkish dotless i)
    "kibris": "CY",
    "shqipëria": "AL",
    "crna gora": "ME",
    "bosna i hercegovina": "BA",
    "северна македонија": "MK",
    "საქართველო": "GE",
    "sakartvelo": "GE",
    "հայաստան": "AM",
    "azərbaycan": "AZ",
    "қазақстан": "KZ",
    "panamá": "PA",
    "república dominicana": "DO",
    "pilipinas": "PH",
    "singapura": "SG",
    "prathet thai": "TH",
    "پاکستان": "PK",
    "ایران": "IR",
    "السعودية": "SA",
    "الإمارات": "AE",
    "中國": "CN",
    "zhōngguó": "CN",
    "台灣": "TW",
    "臺灣": "TW",
    "香港": "HK",
    "日本国": "JP",
    "suid-afrika": "ZA",
}

_SPACES = re.compile(r"\s+")


def _written(text: str) -> str:
    """``text`` NFC, in lower case, with its spaces collapsed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip().lower()


def _key(written: str) -> str:
    """A `_written` name as the aliases are keyed: no dots, no leading "the"."""
    key = written.replace(".", "").strip()
    return key[4:] if key.startswith("the ") else key


@functools.lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """The ISO 3166-1 alpha-2 code ``text`` names, or None when it names no country.

    ``"United Kingdom"``, ``"UK"``, ``"gbr"`` and ``"England"`` all give ``"GB"``.
    """
    written = _written(text)
    key = _key(written)
    if not key:
        return None
    alias = COUNTRY_ALIASES.get(key)
    if alias is not None:
        return alias
    import pycountry

    if len(key) == 2:
        found = pycountry.countries.get(alpha_2=key.upper())
        return str(found.alpha_2) if found is not None else None
    # an alpha-3 or numeric code, a name, an official or a common name, as written
    # ("Virgin Islands, U.S.", "the State of Eritrea") or without dots and "the"
    for candidate in dict.fromkeys((written, key)):
        try:
            return str(pycountry.countries.lookup(candidate).alpha_2)
        except LookupError:
            continue
    return None


def is_country_code(value: str) -> bool:
    """Whether ``value`` is an assigned ISO 3166-1 alpha-2 code (as `Address` stores one)."""
    return len(value) == 2 and country_code(value) == value
