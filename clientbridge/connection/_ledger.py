"""How a connection keeps its creates in a ledger: its account as the ledger keys it, and the
key a create is kept under."""

from __future__ import annotations

from clientbridge.adapters.base import Adapter
from clientbridge.errors import ConfigurationError, ValidationError
from clientbridge.ledger import Account, Ledger, account_id, check_key
from clientbridge.model import Client
from clientbridge.settings import ConnectionOptions
from clientbridge.settle import settling


def ledger_account(
    adapter: Adapter, options: ConnectionOptions, total_timeout: float | None
) -> Account:
    """A connection's account as the ledger keys it: provider, base URL and a digest of the
    credentials (two names for one account share entries). A required setting that is a
    segment of the provider's URLs (a workspace) names a tenant of the account: it goes into
    the digest too."""
    tenant = [
        f"{setting.name}={adapter.settings[setting.name]}"
        for setting in adapter.settings_spec
        if setting.path_segment and setting.required
    ]
    return Account(
        id=account_id(
            adapter.name,
            str(adapter.settings.get("base_url", "")),
            [*(secret.reveal() for secret in adapter.secrets()), *tenant],
        ),
        provider=adapter.name,
        display_name=adapter.display_name,
        settling=settling(adapter.capabilities, resend_by_email=False),
        total_timeout=total_timeout,
        settle_after=options.settle_after,
    )


def ledger_key(ledger: Ledger | None, client: Client, key: str | None) -> str | None:
    """The key ``client`` is created under (None: there is no ledger)."""
    if ledger is None:
        if key is not None:
            raise ConfigurationError(
                "key= needs a ledger: connect with ledger=clientbridge.Ledger(...) (or a "
                "ledger key in the config file); nothing was sent"
            )
        return None
    if key is None:
        key = client.external_id or client.email
    if key is None:
        raise ValidationError(
            "a create with a ledger needs a key: give key=, or the client an "
            "external_id or an email; nothing was sent"
        )
    return check_key(key)
