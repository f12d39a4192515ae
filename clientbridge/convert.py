"""`converter`: the model as plain data (dicts, lists, strings) and back.

``converter.unstructure(client)`` gives a JSON-ready dict without unset fields;
``converter.structure(data, Client)`` builds a `Client` (raising cattrs' errors,
which name the offending field, for data of the wrong shape).
"""

from __future__ import annotations

from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn

from clientbridge.model import Address, Client, ContactKind, ContactMethod, FrozenMapping

__all__ = ["converter"]

converter = cattrs.Converter(forbid_extra_keys=True)


def _unstructure_mapping(value: FrozenMapping[Any]) -> dict[str, Any]:
    return {key: converter.unstructure(item) for key, item in value.items()}


converter.register_unstructure_hook(FrozenMapping, _unstructure_mapping)
# A str enum would otherwise pass through as the enum member.
converter.register_unstructure_hook(ContactKind, lambda kind: kind.value)
# Nested classes first: the Client hook is generated with theirs baked in.
for _cls in (Address, ContactMethod, Client):
    attrs.resolve_types(_cls)
    converter.register_unstructure_hook(
        _cls, make_dict_unstructure_fn(_cls, converter, _cattrs_omit_if_default=True)
    )
