"""The ``clientbridge`` command: providers, create, preview, import, sandbox serve, check.

Exit codes: 0 everything went through, 1 some client (row) failed or may have been
created, 2 a usage or configuration error (nothing was sent), 130 interrupted.

Heavy pieces (the importer, rich, the sandbox) are imported by the commands that need
them, and nothing in the library imports this module.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

import clientbridge as cb
from clientbridge.errors import ClientBridgeError, ConfigurationError, outcome_unknown
from clientbridge.exit_codes import ExitCode
from clientbridge.registry import adapter_class, canonical_name
from clientbridge.settings import OPTION_NAMES, resolve_settings

if TYPE_CHECKING:
    from clientbridge.adapters.base import Adapter
    from clientbridge.config import Config
    from clientbridge.importer import ImportSummary, SourceRow, Target
    from clientbridge.importer.progress import ProgressMode
    from clientbridge.importer.source import Format
    from clientbridge.wire import HttpRequest

__all__ = ["CliContext", "cli", "main"]

EXIT_OK = ExitCode.OK
EXIT_FAILED = ExitCode.FAILED
EXIT_USAGE = ExitCode.USAGE
EXIT_INTERRUPTED = ExitCode.INTERRUPTED

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C")
TransportFactory = Callable[[str, bool], Any]


class CliContext:
    """What the commands share. Tests pass their own to `CliRunner.invoke` as ``obj``:
    ``transport_factory(provider, asynchronous)`` supplies the httpx transport of every
    connection a command opens (e.g. an ``httpx.MockTransport``)."""

    def __init__(self, transport_factory: TransportFactory | None = None) -> None:
        self.transport_factory = transport_factory


class UsageFailure(click.ClickException):
    """A usage or configuration error: printed without a traceback, exit code 2."""

    exit_code = EXIT_USAGE


class _Command(click.Command):
    """A command that does not quote stray arguments back, as click would: after
    ``--set api_key $KEY`` (a space for the ``=``) the stray word is the credential."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        allowed, ctx.allow_extra_args = ctx.allow_extra_args, True
        try:
            extra = super().parse_args(ctx, args)
        finally:
            ctx.allow_extra_args = allowed
        if extra and not allowed and not ctx.resilient_parsing:
            what = (
                "an unexpected argument"
                if len(extra) == 1
                else f"{len(extra)} unexpected arguments"
            )
            ctx.fail(
                f"got {what} (not shown: it may be a credential); settings are given as "
                "--set KEY=VALUE"
            )
        return extra


class _Group(click.Group):
    command_class = _Command
    group_class = type  # `clientbridge sandbox` is a _Group too, so `serve` is a _Command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigurationError as error:  # includes the importer's set-up errors
            raise UsageFailure(str(error)) from None


def _context(ctx: click.Context) -> CliContext:
    obj = ctx.find_object(CliContext)
    return obj if obj is not None else CliContext()


# --------------------------------------------------------------------------- targets


def _pairs(
    values: Iterable[str], option: str, *, may_hold_secrets: bool = False
) -> list[tuple[str, str]]:
    """``KEY=VALUE`` option values as pairs (the value may be empty).

    With ``may_hold_secrets`` a malformed item is not quoted back: a mistyped
    ``--set api_key:...`` would otherwise print the key into a terminal or CI log.
    """
    from clientbridge.importer.columns import split_pairs

    def refuse(item: str) -> UsageFailure:
        shown = "(not shown: it may hold a credential)" if may_hold_secrets else repr(item)
        return UsageFailure(f"{option} {shown}: write it as KEY=VALUE")

    return list(split_pairs(values, refuse))


def _parse_settings(values: Iterable[str]) -> dict[str, Any]:
    """``--set key=value`` pairs; connection options (timeout...) read as numbers/booleans."""
    return {
        key: _option_value(value) if key in OPTION_NAMES else value
        for key, value in _pairs(values, "--set", may_hold_secrets=True)
    }


def _option_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


#: The options that say where a command goes, by parameter name (`build_target`'s).
_TARGET_OPTIONS = {
    "connection": click.option(
        "--connection",
        "-c",
        metavar="NAME",
        help="A named connection from the config file.",
    ),
    "config_path": click.option(
        "--config",
        "config_path",
        metavar="PATH",
        type=click.Path(dir_okay=False),
        help="The config file (default: $CLIENTBRIDGE_CONFIG, else ./clientbridge.toml).",
    ),
    "provider": click.option(
        "--provider",
        "-p",
        metavar="NAME",
        help="A provider by name (see `clientbridge providers`), with --set settings.",
    ),
    "sandbox": click.option(
        "--sandbox",
        is_flag=True,
        help="Talk to the built-in in-process emulator (no account, no network).",
    ),
    "settings": click.option(
        "--set",
        "settings",
        metavar="KEY=VALUE",
        multiple=True,
        help="A setting (api_key=..., base_url=..., timeout=10); repeatable.",
    ),
}


def _target_options(function: F) -> F:
    for option in reversed(_TARGET_OPTIONS.values()):
        function = option(function)
    return function


def _pop_target(options: dict[str, Any]) -> dict[str, Any]:
    """The target options out of a command's ``options`` (the rest describe the client)."""
    return {name: options.pop(name) for name in _TARGET_OPTIONS}


def _fingerprint(
    adapter: type[Adapter], values: Mapping[str, object], connection: str | None, sandbox: bool
) -> str:
    """The provider and what names an account (base URL, workspace...), for the journal."""
    where = [
        f"{setting.name}={values[setting.name]}"
        for setting in adapter.settings_spec
        if (setting.url or setting.path_segment) and not setting.secret and setting.name in values
    ]
    if sandbox:  # the sandbox may share a real base URL (RoostedHR's, AgencyHandy's)
        where.append("sandbox")
    named = f" (connection {connection!r})" if connection else ""
    return " ".join([adapter.name, *where]) + named


def build_target(
    ctx: click.Context,
    *,
    connection: str | None,
    config_path: str | None,
    provider: str | None,
    sandbox: bool,
    settings: Sequence[str],
    config: Config | None = None,
) -> Target:
    """The target of a command from its options, checked now (before any I/O).

    ``config`` is the config file already loaded (``check --all`` reads it once).
    """
    from clientbridge.importer import Target

    overrides = _parse_settings(settings)
    if sandbox:
        overrides["sandbox"] = True
    if connection and provider:
        raise UsageFailure("give --connection or --provider, not both")
    where = ""
    if connection:
        entry = (config if config is not None else cb.load_config(config_path))[connection]
        name, raw = entry.provider, {**entry.settings, **overrides}
        where = entry.where
        label = f"connection {connection!r} ({name})"
    elif provider:
        name, raw = canonical_name(provider), overrides
        label = name
    else:
        raise UsageFailure(
            "say where the clients go: --connection NAME (from clientbridge.toml) or "
            "--provider NAME with --set settings (add --sandbox to try the built-in emulator)"
        )
    if sandbox:
        label += " (sandbox)"
    adapter = adapter_class(name)
    values, connection_options = resolve_settings(adapter, raw, where=where)
    factory = _context(ctx).transport_factory

    def opener(open_: Callable[..., C], asynchronous: bool) -> Callable[..., C]:
        def connect(**extra: Any) -> C:
            transport = {"transport": factory(name, asynchronous)} if factory else {}
            return open_(name, **raw, **transport, **extra)

        return connect

    return Target(
        provider=name,
        label=label,
        fingerprint=_fingerprint(adapter, values, connection, connection_options.sandbox),
        connect=opener(cb.connect, asynchronous=False),
        connect_async=opener(cb.connect_async, asynchronous=True),
        # The in-process sandbox keeps its records in memory, until the command ends.
        ephemeral=connection_options.sandbox,
    )


# --------------------------------------------------------------------------- clients

_CLIENT_FLAGS: tuple[tuple[str, str, str], ...] = (
    ("--first-name", "first_name", "Given name."),
    ("--last-name", "last_name", "Family name."),
    ("--name", "name", "Display name (default: first and last name)."),
    ("--email", "email", "Email address."),
    ("--phone", "phone", "Phone number, in any common notation."),
    ("--company", "company_name", "Company or organisation name."),
    ("--title", "title", "Mr, Mrs, Ms, Dr..."),
    ("--avatar-url", "avatar_url", "An absolute http(s) URL."),
    ("--source", "source", "Acquisition source (website, referral...)."),
    ("--external-id", "external_id", "Your own id for the client."),
    ("--address-line1", "address_line1", "Address, first line."),
    ("--address-line2", "address_line2", "Address, second line."),
    ("--address-line3", "address_line3", "Address, third line."),
    ("--city", "address_city", "Town or city."),
    ("--region", "address_region", "State or county."),
    ("--postal-code", "address_postal_code", "Postcode or ZIP code."),
    ("--country", "address_country", "ISO 3166-1 alpha-2 code (GB, US...)."),
    ("--uprn", "address_uprn", "UK Unique Property Reference Number."),
)


def _client_options(function: F) -> F:
    options = [
        click.option(flag, dest, metavar="TEXT", help=text) for flag, dest, text in _CLIENT_FLAGS
    ]
    options += [
        click.option("--lead", is_flag=True, help="Create a lead where the provider has leads."),
        click.option(
            "--custom",
            metavar="KEY=VALUE",
            multiple=True,
            help="A provider custom field; repeatable.",
        ),
        click.option(
            "--contact",
            metavar="KIND=VALUE",
            multiple=True,
            help="An extra channel (whatsapp=..., fax=...); repeatable.",
        ),
        click.option(
            "--json",
            "json_text",
            metavar="JSON|@FILE|-",
            help="The client as JSON (the form cb.converter gives); flags override its fields.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _read_json_argument(text: str) -> Any:
    if text == "-":
        source = sys.stdin.read()
    elif text.startswith("@"):
        try:
            source = Path(text[1:]).read_text(encoding="utf-8-sig")
        except OSError as error:
            raise UsageFailure(f"--json {text}: {error.strerror or error}") from None
    else:
        source = text
    try:
        return json.loads(source)
    except ValueError as error:
        raise UsageFailure(f"--json is not valid JSON: {error}") from None


def client_from_options(options: Mapping[str, Any]) -> cb.Client:
    """The `Client` of ``create``/``preview``: ``--json`` first, then the flags over it."""
    from clientbridge.importer.columns import ADDRESS_COLUMNS, RowError, client_from_document

    data: dict[str, Any] = {}
    if options.get("json_text"):
        document = _read_json_argument(options["json_text"])
        if not isinstance(document, dict):
            raise UsageFailure("--json must be a JSON object (a client's fields)")
        data = document
    for _, dest, _ in _CLIENT_FLAGS:
        value = options.get(dest)
        if value is None:
            continue
        if dest in ADDRESS_COLUMNS:
            data.setdefault("address", {})[ADDRESS_COLUMNS[dest]] = value
        else:
            data[dest] = value
    if options.get("lead"):
        data["lead"] = True
    for key, value in _pairs(options.get("custom", ()), "--custom"):
        data.setdefault("custom_fields", {})[key] = value
    for kind, value in _pairs(options.get("contact", ()), "--contact"):
        data.setdefault("contact_methods", []).append({"kind": kind, "value": value})
    if not data:
        raise UsageFailure("describe the client with flags (--first-name, --email...) or --json")
    try:
        return client_from_document(data)
    except RowError as error:
        raise UsageFailure(f"the client is not valid: {error}") from None


def format_request(request: HttpRequest) -> str:
    """A request for people: method and URL, headers (secrets already ``***``), JSON body."""
    lines = [f"{request.method} {request.url}"]
    lines.extend(f"  {name}: {value}" for name, value in request.headers.items())
    if request.json is not None:
        body = json.dumps(request.json, indent=2, ensure_ascii=False)
        lines.extend("  " + line for line in body.splitlines())
    return "\n".join(lines)


def _request_json(request: HttpRequest) -> dict[str, Any]:
    return {
        "method": request.method,
        "url": request.url,
        "headers": {name: str(value) for name, value in request.headers.items()},
        "json": request.json,
    }


def _result_json(result: cb.CreateResult) -> dict[str, Any]:
    from clientbridge.convert import converter

    return {
        "provider": result.provider,
        "id": result.id,
        "status": result.status.value,
        "invite": result.invite.value if result.invite else None,
        "provider_status": result.provider_status,
        "created_at": result.created_at.isoformat() if result.created_at else None,
        "warnings": list(result.warnings),
        "dropped_fields": list(result.dropped_fields),
        "client": converter.unstructure(result.client),
        "raw": converter.unstructure(result.raw),
    }


_OUTPUT = click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Plain text for people, or JSON for scripts.",
)


# --------------------------------------------------------------------------- the group


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(cb.__version__, prog_name="clientbridge")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log retries and requests (-v), or every request and answer (-vv).",
)
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Create clients in back-office products (AgencyHandy, Placio, ProConvey, RoostedHR)
    through one neutral model.

    \b
    Try it without an account, against the built-in sandbox:
      clientbridge import examples/clients.csv --provider proconvey --sandbox
      clientbridge create --provider placio --sandbox --name "Ada Lovelace" --email ada@example.com

    Exit codes: 0 all done, 1 some client failed (or may have been created),
    2 usage or configuration error (nothing was sent), 130 interrupted.
    """
    ctx.ensure_object(CliContext)
    if verbose:
        logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("clientbridge").setLevel(logging.DEBUG if verbose > 1 else logging.INFO)


# --------------------------------------------------------------------------- providers


@cli.command()
@click.option(
    "--markdown",
    is_flag=True,
    help="Print the capability matrix and each provider's settings and field mapping "
    "as Markdown (generated from the adapters' declarations).",
)
@click.argument("names", nargs=-1, metavar="[PROVIDER]...")
def providers(markdown: bool, names: tuple[str, ...]) -> None:
    """List the providers (adapters) and what each can do.

    \b
    Examples:
      clientbridge providers
      clientbridge providers --markdown > capabilities.md
      clientbridge providers --markdown placio roostedhr
    """
    wanted = [canonical_name(name) for name in names] or cb.providers()
    adapters: list[type[Adapter]] = []
    broken: list[tuple[str, str]] = []
    for name in wanted:
        try:
            adapters.append(adapter_class(name))
        except (ConfigurationError, ImportError) as error:  # a broken plug-in
            broken.append((name, str(error)))
    if markdown:
        click.echo(providers_markdown([adapter.name for adapter in adapters]), nl=False)
    else:
        click.echo(providers_table(adapters))
    for name, problem in broken:
        click.echo(f"{name}: unavailable ({problem})", err=True)


def providers_table(adapters: Sequence[type[Adapter]]) -> str:
    """One line per provider: names, bulk size, leads, look-ups, settings."""
    rows = [("NAME", "PROVIDER", "ALIASES", "BULK", "LEADS", "LOOK-UPS", "SETTINGS (* required)")]
    for adapter in adapters:
        capabilities = adapter.capabilities
        rows.append(
            (
                adapter.name,
                adapter.display_name,
                ", ".join(adapter.aliases) or "-",
                str(capabilities.bulk_size),
                "yes" if capabilities.leads else "no",
                ", ".join(capabilities.lookups) or "-",
                ", ".join(
                    setting.name + ("*" if setting.required else "")
                    for setting in adapter.settings_spec
                ),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)), row[-1]]
        )
        for row in rows
    )


def providers_markdown(names: Sequence[str]) -> str:
    """The capability matrix, then each provider's settings and field mapping (the same
    generated tables as the docs)."""
    from clientbridge import docgen

    parts = ["# Providers\n\n## Capability matrix\n\n", docgen.capability_matrix(names)]
    for name in names:
        adapter = adapter_class(name)
        parts += [
            f"\n## {adapter.display_name} (`{adapter.name}`)\n\n### Settings\n\n",
            docgen.settings_table(name),
            "\n### Field mapping\n\n",
            docgen.field_mapping(name),
        ]
    return "".join(parts)


# --------------------------------------------------------------------------- create / preview


@cli.command()
@_target_options
@_client_options
@_OUTPUT
@click.pass_context
def create(ctx: click.Context, /, output: str, **options: Any) -> None:
    """Create one client from flags or JSON, and print the result.

    \b
    Examples:
      clientbridge create --provider placio --sandbox --name "Ada Lovelace" --email ada@example.com
      clientbridge create -c uk --first-name Ada --last-name Lovelace \\
          --email ada@example.com --phone "07911 123456" --postal-code "SW1A 1AA"
      clientbridge create -c staffing --json @client.json --output json

    Exit code 1 when the provider refused the client; the message says whether it may
    have been created anyway.
    """
    target = build_target(ctx, **_pop_target(options))
    client = client_from_options(options)
    with target.connect() as conn:
        try:
            result = conn.create(client)
        except ConfigurationError:
            raise
        except ClientBridgeError as error:
            click.echo(f"Error: {error}", err=True)
            if outcome_unknown(error):
                click.echo(
                    f"The client may have been created: check in {target.provider} before "
                    "creating it again.",
                    err=True,
                )
            ctx.exit(EXIT_FAILED)
    if output == "json":
        click.echo(json.dumps(_result_json(result), indent=2, ensure_ascii=False, default=str))
        return
    invite = f", invite {result.invite.value}" if result.invite else ""
    click.echo(f"Created {result.id} in {target.label} (status {result.status.value}{invite})")
    for warning in result.warnings:
        click.echo(f"  warning: {warning}")


@cli.command()
@_target_options
@_client_options
@_OUTPUT
@click.pass_context
def preview(ctx: click.Context, /, output: str, **options: Any) -> None:
    """Print the requests a create would send, secrets redacted. Sends nothing.

    Values that need a look-up (AgencyHandy's company id) show as placeholders.

    \b
    Examples:
      clientbridge preview -p roostedhr --sandbox --company "Acme Corp" --email ops@acme.test
      clientbridge preview -c uk --json @client.json --output json
    """
    target = build_target(ctx, **_pop_target(options))
    client = client_from_options(options)
    with target.connect() as conn:
        try:
            requests = conn.preview(client)
        except ConfigurationError:
            raise
        except ClientBridgeError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(EXIT_FAILED)
    if output == "json":
        click.echo(json.dumps([_request_json(r) for r in requests], indent=2, ensure_ascii=False))
    else:
        click.echo("\n\n".join(format_request(request) for request in requests))


# --------------------------------------------------------------------------- check


@cli.command()
@_target_options
@click.option("--all", "check_all", is_flag=True, help="Check every connection of the config file.")
@click.pass_context
def check(ctx: click.Context, /, check_all: bool, **options: Any) -> None:
    """Verify settings and credentials, with a harmless read where the provider has one.

    Providers that document no read-only endpoint (Placio, ProConvey) cannot have their
    credentials checked without creating a client: their settings are checked and the
    command says so.

    \b
    Examples:
      clientbridge check --connection staffing
      clientbridge check --all --config clientbridge.toml
      clientbridge check --provider roostedhr --set api_key=$ROOSTED_API_KEY
    """
    if check_all:
        if options["connection"] or options["provider"]:
            raise UsageFailure("--all checks every connection; leave out --connection/--provider")
        config = cb.load_config(options["config_path"])
        targets = [
            build_target(ctx, **{**options, "connection": name}, config=config)
            for name in config.names()
        ]
    else:
        targets = [build_target(ctx, **options)]
    failed = False
    for target in targets:
        ok, message = _check_target(target)
        failed = failed or not ok
        click.echo(f"{target.label}: {message}")
    ctx.exit(EXIT_FAILED if failed else EXIT_OK)


def _check_target(target: Target) -> tuple[bool, str]:
    with target.connect() as conn:
        check = conn.check_credentials()
    if not check.checked:
        return True, (
            f"settings are valid; the credential cannot be checked: the "
            f"{conn.display_name} adapter declares no harmless read to try it with, "
            "and only creating a client would prove it"
        )
    if check.error is not None:
        return False, f"FAILED: {check.error}"
    return True, f"ok (the credential was accepted: {check.request})"


# --------------------------------------------------------------------------- sandbox


@cli.group()
def sandbox() -> None:
    """The built-in emulators of the providers (no account needed)."""


@sandbox.command()
@click.option("--provider", "-p", required=True, metavar="NAME", help="The provider to emulate.")
@click.option("--host", default="127.0.0.1", show_default=True, help="A loopback address.")
@click.option(
    "--port", type=int, default=0, show_default=True, help="The port (0 picks a free one)."
)
@click.option("--credential", metavar="VALUE", help="The one credential the server accepts.")
@click.option("--latency-ms", type=float, default=0.0, help="Delay every answer (milliseconds).")
@click.option("--fail-rate", type=float, default=0.0, help="Share of creates hit by a fault (0-1).")
@click.option("--seed", type=int, help="Seed for the fault draws and record ids.")
@click.option(
    "--fault-kind",
    "fault_kinds",
    multiple=True,
    metavar="KIND",
    help="A fault --fail-rate may draw (429, 500, 503, drop, 500-after-create...); repeatable.",
)
@click.option("--faults-on-lookups", is_flag=True, help="Let faults hit look-ups too.")
@click.option(
    "--rate-limit",
    metavar="RATE",
    help="Answer 429 past this rate, per credential (20/s, 600/min).",
)
@click.option(
    "--burst",
    type=click.IntRange(min=1),
    help="Requests a credential may send at once (default: the rate's count).",
)
@click.option(
    "--no-retry-after", is_flag=True, help="Answer the rate limit's 429 without Retry-After."
)
def serve(
    provider: str,
    host: str,
    port: int,
    credential: str | None,
    latency_ms: float,
    fail_rate: float,
    seed: int | None,
    fault_kinds: tuple[str, ...],
    faults_on_lookups: bool,
    rate_limit: str | None,
    burst: int | None,
    no_retry_after: bool,
) -> None:
    """Serve one provider's emulator on 127.0.0.1 until Ctrl-C, printing its base_url.

    Point real code (or another clientbridge command) at the printed base_url with the
    printed credential. ``GET /_sandbox/records`` lists what it holds, ``GET
    /_sandbox/stats`` counts requests and rate-limited ones.

    \b
    Examples:
      clientbridge sandbox serve --provider placio --port 8765
      clientbridge sandbox serve -p roostedhr --fail-rate 0.1 --seed 7 --latency-ms 20
      clientbridge sandbox serve -p proconvey --rate-limit 20/s --burst 5
    """
    try:
        from clientbridge.sandbox.server import serve as serve_sandbox
    except ImportError as error:
        raise UsageFailure(f"the sandbox is not available: {error}") from None
    if rate_limit is not None:
        from clientbridge.ratelimit import parse_rate

        try:
            parse_rate(rate_limit)
        except ValueError as error:
            raise UsageFailure(f"--rate-limit: {error}") from None
    extra: dict[str, Any] = {
        "faults_on_lookups": faults_on_lookups,
        "rate_limit": rate_limit,
        "rate_limit_burst": burst,
        "rate_limit_retry_after": not no_retry_after,
    }
    if fault_kinds:
        extra["fault_kinds"] = list(fault_kinds)

    try:
        serve_sandbox(
            canonical_name(provider),
            host=host,
            port=port,
            credential=credential,
            latency_ms=latency_ms,
            fail_rate=fail_rate,
            seed=seed,
            on_ready=click.echo,
            **extra,
        )
    except ValueError as error:
        raise UsageFailure(str(error)) from None
    except OSError as error:
        raise UsageFailure(f"cannot serve on {host}:{port}: {error.strerror or error}") from None


# --------------------------------------------------------------------------- import


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_target_options
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["auto", "csv", "jsonl"]),
    default="auto",
    show_default=True,
    help="auto: .jsonl/.ndjson are JSON Lines, anything else CSV.",
)
@click.option(
    "--delimiter",
    type=click.Choice(["auto", ",", ";", "tab"]),
    default="auto",
    show_default=True,
    help="CSV delimiter (auto: whichever splits the header into most columns).",
)
@click.option(
    "--map",
    "mappings",
    metavar='"HEADER=FIELD"',
    multiple=True,
    help='Read a column as a field ("Given name=first_name"); "HEADER=" ignores it. Repeatable.',
)
@click.option(
    "--mapping-file",
    type=click.Path(exists=True, dir_okay=False),
    help="Column mappings: a JSON object, a TOML table, or HEADER=FIELD lines.",
)
@click.option("--ignore-unknown-columns", is_flag=True, help="Skip columns that match no field.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Requests in flight at once.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Validate every row and show what would be sent (secrets redacted). Sends nothing.",
)
@click.option(
    "--show",
    default="3",
    show_default=True,
    metavar="N|all",
    help="With --dry-run: how many rows' requests to print.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a CSV with every row's outcome (row,outcome,id,error,warnings).",
)
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The journal (default: FILE.journal.sqlite; with --sandbox, none unless given).",
)
@click.option(
    "--no-journal", is_flag=True, help="Keep no journal: running again sends every row again."
)
@click.option("--retry-failed", is_flag=True, help="Send rows that failed in an earlier run again.")
@click.option(
    "--retry-unknown",
    is_flag=True,
    help="Send rows whose earlier outcome is unknown again (an 'already exists' answer "
    "then counts as created). Without it they are never sent again, except to AgencyHandy, "
    "which refuses a duplicate email; RoostedHR rows are looked up first.",
)
@click.option(
    "--progress",
    type=click.Choice(["auto", "bar", "plain", "none"]),
    default="auto",
    show_default=True,
    help="auto: a bar on a terminal, a line every few seconds otherwise.",
)
@click.option("--progress-interval", type=float, default=5.0, hidden=True)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when some rows failed.")
@click.pass_context
def import_(
    ctx: click.Context,
    /,
    file: Path,
    file_format: str,
    delimiter: str,
    mappings: tuple[str, ...],
    mapping_file: str | None,
    ignore_unknown_columns: bool,
    concurrency: int,
    dry_run: bool,
    show: str,
    report: Path | None,
    journal: Path | None,
    no_journal: bool,
    retry_failed: bool,
    retry_unknown: bool,
    progress: str,
    progress_interval: float,
    exit_zero: bool,
    **options: Any,
) -> None:
    """Import clients from a CSV or JSON Lines FILE, streamed, concurrently, resumably.

    CSV columns are Client fields (first_name, email, phone, company_name...), address
    parts (address_line1... address_postal_code, address_country) and custom.<key>;
    common spellings (First Name, Email Address, Mobile, Postcode, Zip, Company,
    Address 1...) are understood. JSON Lines hold one client object per line.

    A journal next to FILE records every row, so running the same command again
    resumes: created rows are skipped, failed rows are sent again only with
    --retry-failed, and rows that may have been created are never sent again on their
    own (--retry-unknown does). Ctrl-C stops cleanly.

    \b
    Examples:
      clientbridge import examples/clients.csv --provider proconvey --sandbox --report report.csv
      clientbridge import clients.csv -c uk --concurrency 16 --report report.csv
      clientbridge import export.csv -c uk --map "Given name=first_name" --map "Notes=" --dry-run
      clientbridge import clients.jsonl -c staffing --retry-failed
    """
    from clientbridge import importer
    from clientbridge.importer.columns import parse_mapping_option, read_mapping_file

    target = build_target(ctx, **options)
    mapping = read_mapping_file(mapping_file) if mapping_file else {}
    mapping.update(parse_mapping_option(mappings))
    if no_journal and journal:
        raise UsageFailure("give --journal or --no-journal, not both")
    journal_path = None
    if not (no_journal or dry_run):
        if journal is not None:
            journal_path = journal
        elif not target.ephemeral:  # nothing to resume in a sandbox that forgets at exit
            journal_path = file.with_name(file.name + ".journal.sqlite")
    show_count = _show_count(show)
    printed = 0

    def on_preview(row: SourceRow, requests: list[HttpRequest]) -> None:
        nonlocal printed
        if printed < show_count:
            printed += 1
            click.echo(f"row {row.line}: " + "\n".join(format_request(r) for r in requests))

    import_options = importer.ImportOptions(
        concurrency=concurrency,
        retry_failed=retry_failed,
        retry_unknown=retry_unknown,
        progress=cast("ProgressMode", progress),
        progress_interval=progress_interval,
        on_preview=on_preview if dry_run else None,
    )
    with importer.open_source(
        file,
        format=cast("Format", file_format),
        mapping=mapping,
        ignore_unknown_columns=ignore_unknown_columns,
        delimiter={"auto": None, "tab": "\t"}.get(delimiter, delimiter),
    ) as source:
        try:
            if dry_run:
                summary = importer.run_dry(source, target, import_options, report=report)
            else:
                summary = importer.run_import(
                    source, target, import_options, journal=journal_path, report=report
                )
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
    if dry_run and 0 < printed < summary.counts["valid"]:
        click.echo(
            f"(requests of {summary.counts['valid'] - printed:,} more valid rows not shown; "
            "--show all prints them)"
        )
    click.echo(importer.format_summary(summary))
    ctx.exit(_import_exit_code(summary, exit_zero))


def _show_count(show: str) -> int:
    if show.strip().lower() == "all":
        return sys.maxsize
    try:
        count = int(show)
    except ValueError:
        raise UsageFailure(f"--show {show!r}: give a number or 'all'") from None
    if count < 0:
        raise UsageFailure("--show must not be negative")
    return count


def _import_exit_code(summary: ImportSummary, exit_zero: bool) -> int:
    code = summary.exit_code
    if exit_zero and code == EXIT_FAILED:
        return EXIT_OK
    return code


def main(argv: Sequence[str] | None = None) -> None:
    """The console script."""
    cli.main(args=argv, prog_name="clientbridge")


if __name__ == "__main__":  # pragma: no cover - python -m clientbridge.cli
    main()
