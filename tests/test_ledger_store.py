"""The ledger's stores and its edges: the store operations (which a file import can use
too), files that are not ledgers or are damaged, an unreachable Redis, keys, credentials
never stored, and the ``ledger`` key of a config file."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import anyio
import pytest

import clientbridge as cb
from clientbridge.ledger import EntryState
from clientbridge.sandbox import Sandbox, running_server
from clientbridge.sandbox.emulators.placio import WORKSPACE_ID as PLACIO_WORKSPACE_ID

from .conftest import CANARY
from .ledger_support import ledger as ledger  # fixtures
from .ledger_support import location as location
from .ledger_support import person
from .ledger_support import redis_location as redis_location
from .redis_server import free_port

ACCOUNT = "acme https://acme.test 0123"


# ---------------------------------------------------------------------- the store


def test_a_claim_holds_a_key_until_it_is_settled(ledger: cb.Ledger) -> None:
    store, now = ledger.store, time.time()
    first = store.claim(ACCOUNT, "k", holder="a", now=now, lease_until=now + 30)
    second = store.claim(ACCOUNT, "k", holder="b", now=now, lease_until=now + 30)
    assert (first.granted, first.previous) == (True, None)
    assert second.granted is False
    assert second.previous is not None
    assert second.previous.state is EntryState.PENDING
    assert second.previous.holder == "a"
    store.record_created(ACCOUNT, "k", client_id="c-1", result='{"id": "c-1"}')
    third = store.claim(ACCOUNT, "k", holder="b", now=now, lease_until=now + 30)
    assert third.granted is False
    assert third.previous is not None
    assert (third.previous.state, third.previous.client_id) == (EntryState.CREATED, "c-1")


def test_released_keys_are_forgotten_and_unknown_ones_listed(ledger: cb.Ledger) -> None:
    store, now = ledger.store, time.time()
    for key in ("gone", "maybe", "other-holder"):
        assert store.claim(ACCOUNT, key, holder="a", now=now, lease_until=now + 30).granted
    store.release(ACCOUNT, "gone", holder="a")
    store.record_unknown(ACCOUNT, "maybe", holder="a", attempted_at=now - 5, note="timed out")
    store.release(ACCOUNT, "other-holder", holder="b")  # not b's: nothing happens
    assert store.get(ACCOUNT, "gone") is None
    assert [entry.key for entry in store.unknown(ACCOUNT, now=now)] == ["maybe"]
    (maybe,) = store.unknown(ACCOUNT, now=now)
    assert (maybe.attempted_at, maybe.note) == (pytest.approx(now - 5), "timed out")
    assert store.unknown("another account", now=now) == []
    claim = store.claim(ACCOUNT, "maybe", holder="b", now=now, lease_until=now + 30)
    assert claim.granted
    assert claim.previous is not None
    assert claim.previous.state is EntryState.UNKNOWN


def test_an_expired_lease_counts_as_unknown_attempted_when_it_ended(ledger: cb.Ledger) -> None:
    store, now = ledger.store, time.time()
    store.claim(ACCOUNT, "k", holder="dead", now=now - 20, lease_until=now - 1)
    (entry,) = store.unknown(ACCOUNT, now=now)
    assert entry.state is EntryState.UNKNOWN
    assert entry.attempted_at == pytest.approx(now - 1)
    claim = store.claim(ACCOUNT, "k", holder="alive", now=now, lease_until=now + 30)
    assert claim.granted
    assert claim.previous is not None
    assert claim.previous.state is EntryState.UNKNOWN
    # the dead holder can no longer settle it
    store.release(ACCOUNT, "k", holder="dead")
    stored = store.get(ACCOUNT, "k")
    assert stored is not None
    assert stored.holder == "alive"


def test_claimed_ids_are_the_clients_of_other_keys(ledger: cb.Ledger) -> None:
    store = ledger.store
    store.record_created(ACCOUNT, "one", client_id="c-1", result="{}")
    store.record_created(ACCOUNT, "two", client_id="c-2", result="{}")
    assert store.claimed_ids(ACCOUNT, "one", client_ids=["c-1", "c-2", "c-3"]) == {"c-2"}
    assert store.claimed_ids("another", "one", client_ids=["c-2"]) == set()


# ---------------------------------------------------------------------- bad input


def test_a_file_that_is_not_a_ledger_is_refused_with_its_path(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("these are notes, not a ledger\n" * 200)
    with pytest.raises(cb.ConfigurationError) as raised:
        cb.Ledger(text)
    assert str(text) in str(raised.value)
    assert "not a clientbridge ledger" in str(raised.value)
    assert "new path" in str(raised.value)


def test_another_sqlite_database_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE users (id INTEGER)")
    db.close()
    with pytest.raises(cb.ConfigurationError, match="not a clientbridge ledger"):
        cb.Ledger(other)


def test_a_damaged_ledger_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "clients.ledger"
    with cb.Ledger(path) as ledger:
        for number in range(300):
            ledger.store.record_created(ACCOUNT, f"key-{number}", client_id="x" * 40, result="{}")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[2 * page + 100 : 3 * page] = b"\xff" * (page - 100)
    path.write_bytes(bytes(data))
    with pytest.raises(cb.ConfigurationError) as raised:
        cb.Ledger(path)
    message = str(raised.value)
    assert str(path) in message
    assert "damaged" in message
    assert "backup" in message


def test_a_missing_directory_or_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(cb.ConfigurationError, match="directory does not exist"):
        cb.Ledger(tmp_path / "nowhere" / "clients.ledger")
    with pytest.raises(cb.ConfigurationError, match="is a directory"):
        cb.Ledger(tmp_path)


def test_another_url_scheme_is_refused() -> None:
    with pytest.raises(cb.ConfigurationError, match="redis://"):
        cb.Ledger("postgres://db.example.com/ledger")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_unreachable_redis_sends_nothing_and_says_so(mode: str) -> None:
    url = f"redis://:{CANARY}@127.0.0.1:{free_port()}/0"
    sandbox = Sandbox()
    with cb.Ledger(url) as ledger:
        assert CANARY not in repr(ledger)
        if mode == "sync":
            with cb.connect(
                "placio", sandbox=True, transport=sandbox.transport("placio"), ledger=ledger
            ) as conn:
                with pytest.raises(cb.TransportError) as raised:
                    conn.create(person(), key="user-1")
        else:
            import anyio

            async def main() -> None:
                async with cb.connect_async(
                    "placio",
                    sandbox=True,
                    transport=sandbox.transport("placio", asynchronous=True),
                    ledger=ledger,
                ) as conn:
                    await conn.create(person(), key="user-1")

            with pytest.raises(cb.TransportError) as raised:
                anyio.run(main)
    assert raised.value.maybe_sent is False
    assert "did not answer" in str(raised.value)
    assert "nothing was sent" in str(raised.value)
    assert "***@127.0.0.1" in str(raised.value)
    assert CANARY not in str(raised.value)
    assert sandbox.records("placio") == []


def test_a_lease_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(cb.ConfigurationError, match="lease"):
        cb.Ledger(tmp_path / "l", lease=0)


# ---------------------------------------------------------------------- credentials


def test_the_credential_is_never_stored(location: str) -> None:
    sandbox = Sandbox(credentials={"roostedhr": CANARY})
    sandbox.inject("error_after_create", provider="roostedhr")
    with cb.Ledger(location) as ledger:
        with cb.connect(
            "roostedhr",
            api_key=CANARY,
            transport=sandbox.transport("roostedhr"),
            sandbox=True,
            max_retries=0,
            ledger=ledger,
        ) as conn:
            with pytest.raises(cb.ProviderUnavailableError):
                conn.create(person(1), key="unknown-first")
            conn.create(person(1), key="unknown-first")  # looked up, found
            conn.create(person(2), key="user-2")
            assert CANARY not in conn.ledger_account().id
    if location.startswith("redis://"):
        import redis

        client = redis.Redis.from_url(location)
        keys = list(client.scan_iter("*"))
        assert keys
        dumped = b"".join(key + repr(client.hgetall(key)).encode() for key in keys)
        client.close()
    else:
        dumped = b"".join(path.read_bytes() for path in Path(location).parent.iterdir())
    assert b"user-2" in dumped
    assert CANARY.encode() not in dumped


# ---------------------------------------------------------------------- the config file


def test_a_config_file_gives_its_connections_a_ledger(tmp_path: Path) -> None:
    with running_server(["roostedhr", "placio"], credential=CANARY) as server:
        config_file = tmp_path / "clientbridge.toml"
        config_file.write_text(
            'ledger = "app.ledger"\n'
            "[connections.staffing]\n"
            'provider = "roostedhr"\n'
            f'base_url = "{server.endpoints["roostedhr"].base_url}"\n'
            f'api_key = "{CANARY}"\n'
            "max_retries = 0\n"
            "[connections.crm]\n"
            'provider = "placio"\n'
            f'base_url = "{server.endpoints["placio"].base_url}"\n'
            f'token = "{CANARY}"\n'
            f'workspace_id = "{PLACIO_WORKSPACE_ID}"\n'
            'ledger = "crm.ledger"\n'
            "max_retries = 0\n"
        )
        config = cb.load_config(config_file)
        server.sandbox.inject("unavailable", provider="placio")
        with config.connect_many() as group:
            first = group.create(person(), key="user-42")
            rerun = group.create(person(), key="user-42")
        with config.connect("staffing") as conn:
            again = conn.create(person(), key="user-42")
        records = {name: len(server.sandbox.records(name)) for name in ("roostedhr", "placio")}
    assert list(first.errors) == ["crm"]
    assert rerun.ok
    assert rerun.results["staffing"].replayed is True
    assert rerun.results["crm"].replayed is False
    assert again.replayed is True
    assert records == {"roostedhr": 1, "placio": 1}
    assert (tmp_path / "app.ledger").exists()  # relative to the config file
    assert (tmp_path / "crm.ledger").exists()


def test_connect_many_takes_one_ledger_for_every_connection(tmp_path: Path) -> None:
    with running_server("placio", credential=CANARY) as server:
        config_file = tmp_path / "clientbridge.toml"
        config_file.write_text(
            "".join(
                f"[connections.{name}]\n"
                'provider = "placio"\n'
                f'base_url = "{server.base_url}"\n'
                f'token = "{CANARY}"\n'
                f'workspace_id = "{PLACIO_WORKSPACE_ID}"\n'
                for name in ("one", "two")
            )
        )
        config = cb.load_config(config_file)
        with cb.Ledger(tmp_path / "shared.ledger") as ledger:
            with config.connect_many(ledger=ledger) as group:
                fan = group.create(person(), key="user-1")
            agroup = config.connect_many_async(ledger=ledger)
            assert all(conn.ledger is ledger for conn in agroup.connections.values())
            anyio.run(agroup.aclose)
        created = len(server.sandbox.records("placio"))
    # two names for one account: one entry, so the second connection replays
    assert sorted(result.replayed for result in fan.results.values()) == [False, True]
    assert created == 1


def test_a_config_ledger_that_is_not_a_string_is_refused(tmp_path: Path) -> None:
    config_file = tmp_path / "clientbridge.toml"
    config_file.write_text('ledger = 3\n[connections.a]\nprovider = "placio"\nsandbox = true\n')
    with pytest.raises(cb.ConfigurationError, match="ledger must be a file path"):
        cb.load_config(config_file)
