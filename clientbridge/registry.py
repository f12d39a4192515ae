"""Adapter look-up: the built-ins, their aliases, and installed plug-ins.

A third-party package registers an adapter under the entry-point group
``clientbridge.adapters``::

    [project.entry-points."clientbridge.adapters"]
    myprovider = "my_package.adapter:MyProviderAdapter"

Adapters are imported only when they are used.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import import_module
from typing import TYPE_CHECKING, Any

from clientbridge.errors import ConfigurationError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from clientbridge.adapters.base import Adapter

__all__ = [
    "ENTRY_POINT_GROUP",
    "adapter_class",
    "builtin_providers",
    "canonical_name",
    "providers",
]

ENTRY_POINT_GROUP = "clientbridge.adapters"

_BUILTINS: dict[str, str] = {
    "agencyhandy": "clientbridge.adapters.agencyhandy:AgencyHandyAdapter",
    "placio": "clientbridge.adapters.placio:PlacioAdapter",
    "proconvey": "clientbridge.adapters.proconvey:ProConveyAdapter",
    "roostedhr": "clientbridge.adapters.roostedhr:RoostedHRAdapter",
}
_BUILTIN_ALIASES: dict[str, str] = {"workspace-v1": "placio", "uk-v2": "proconvey"}


@lru_cache(maxsize=1)
def _plugins() -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    entry_points = _entry_points()
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        # A built-in name or alias cannot be taken over.
        if entry_point.name not in _BUILTINS and entry_point.name not in _BUILTIN_ALIASES:
            found.setdefault(entry_point.name, entry_point)
    return found


def _entry_points() -> Any:
    from importlib.metadata import entry_points  # costs ~40 ms: only when asked

    return entry_points


def refresh() -> None:
    """Forget the discovered plug-ins (after installing one at run time)."""
    _plugins.cache_clear()
    _load.cache_clear()


def providers() -> list[str]:
    """Names of every registered adapter: the built-ins and installed plug-ins."""
    return sorted({*_BUILTINS, *_plugins()})


def builtin_providers() -> list[str]:
    """Names of the adapters shipped with clientbridge (plug-ins left out), sorted."""
    return sorted(_BUILTINS)


def _plugin_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for name in _plugins():
        try:
            cls = _load(name)
        except ConfigurationError:
            continue
        for alias in cls.aliases:
            aliases.setdefault(alias, name)
    return aliases


def canonical_name(provider: str) -> str:
    """The registered name for ``provider`` or one of its aliases."""
    if not isinstance(provider, str):
        raise ConfigurationError(f"provider must be a name, not {type(provider).__name__}")
    key = provider.strip().lower()
    # Built-ins first: finding the plug-ins scans every installed distribution.
    if key in _BUILTINS:
        return key
    if key in _BUILTIN_ALIASES:
        return _BUILTIN_ALIASES[key]
    if key in _plugins():
        return key
    aliases = _plugin_aliases()
    if key in aliases:
        return aliases[key]
    import difflib  # only for the hint: `import clientbridge` stays light

    known = [*providers(), *_BUILTIN_ALIASES, *aliases]
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ConfigurationError(
        f"unknown provider {provider!r}.{hint} Known providers: {', '.join(providers())} "
        f"(aliases: {', '.join(sorted([*_BUILTIN_ALIASES, *aliases]))})."
    )


@cache
def _load(name: str) -> type[Adapter]:
    from clientbridge.adapters.base import Adapter

    if name in _BUILTINS:
        module_name, _, attribute = _BUILTINS[name].partition(":")
        cls = getattr(import_module(module_name), attribute)
    else:
        entry_point = _plugins()[name]
        try:
            cls = entry_point.load()
        except Exception as error:  # a broken plug-in must not break the others
            raise ConfigurationError(
                f"the adapter plug-in {name!r} ({entry_point.value}) failed to import: {error}"
            ) from error
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise ConfigurationError(
            f"the adapter {name!r} is not a clientbridge.adapters.base.Adapter subclass"
        )
    return cls


def adapter_class(provider: str) -> type[Adapter]:
    """The adapter class registered for ``provider`` (a name or an alias)."""
    return _load(canonical_name(provider))
