"""clientbridge: create clients in several back-office products through one neutral model.

import clientbridge as cb

with cb.connect(provider_name, **settings) as conn:
    result = conn.create(cb.Client(company_name="Acme Corp", email="ops@acme.test"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clientbridge.config import Config, load_config
from clientbridge.errors import (
    AuthenticationError,
    ClientBridgeError,
    ConfigurationError,
    DuplicateClientError,
    FanoutError,
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    ProviderUnavailableError,
    ProviderValidationError,
    RateLimitedError,
    TransportError,
    UnexpectedResponseError,
    UnknownOutcomeError,
    UnsupportedFeatureError,
    ValidationError,
)
from clientbridge.model import Address, Client, ContactKind, ContactMethod
from clientbridge.registry import providers
from clientbridge.result import (
    BatchResult,
    ClientStatus,
    CreateResult,
    CredentialCheck,
    Failure,
    FanoutResult,
    InviteStatus,
    Success,
)
from clientbridge.secrets import Secret
from clientbridge.wire import HttpRequest, HttpResponse, Preview

if TYPE_CHECKING:
    import cattrs

    from clientbridge.connection import AsyncConnection, Connection, connect, connect_async
    from clientbridge.group import AsyncConnectionGroup, ConnectionGroup
    from clientbridge.ledger import Ledger

__version__ = "0.1.0"

__all__ = [
    "Address",
    "AsyncConnection",
    "AsyncConnectionGroup",
    "AuthenticationError",
    "BatchResult",
    "Client",
    "ClientBridgeError",
    "ClientStatus",
    "Config",
    "ConfigurationError",
    "Connection",
    "ConnectionGroup",
    "ContactKind",
    "ContactMethod",
    "CreateResult",
    "CredentialCheck",
    "DuplicateClientError",
    "Failure",
    "FanoutError",
    "FanoutResult",
    "FieldError",
    "HttpRequest",
    "HttpResponse",
    "InviteStatus",
    "Ledger",
    "NotFoundError",
    "PermissionDeniedError",
    "Preview",
    "ProviderError",
    "ProviderUnavailableError",
    "ProviderValidationError",
    "RateLimitedError",
    "Secret",
    "Success",
    "TransportError",
    "UnexpectedResponseError",
    "UnknownOutcomeError",
    "UnsupportedFeatureError",
    "ValidationError",
    "connect",
    "connect_async",
    "converter",
    "load_config",
    "providers",
]


_LAZY_CONNECTION = frozenset({"AsyncConnection", "Connection", "connect", "connect_async"})
_LAZY_GROUP = frozenset({"AsyncConnectionGroup", "ConnectionGroup"})


def __getattr__(name: str) -> Any:
    # httpx (which pulls in its own CLI's click and rich when they are installed), cattrs
    # and the sandbox are imported on first use to keep `import clientbridge` light.
    if name in _LAZY_CONNECTION:
        from clientbridge import connection

        value = getattr(connection, name)
        globals()[name] = value
        return value
    if name in _LAZY_GROUP:
        from clientbridge import group

        value = getattr(group, name)
        globals()[name] = value
        return value
    if name == "Ledger":
        from clientbridge.ledger import Ledger

        globals()[name] = Ledger
        return Ledger
    if name == "converter":
        from clientbridge.convert import converter

        return converter
    if name == "sandbox":
        from importlib import import_module

        return import_module("clientbridge.sandbox")
    raise AttributeError(f"module 'clientbridge' has no attribute {name!r}")


if TYPE_CHECKING:
    converter: cattrs.Converter
