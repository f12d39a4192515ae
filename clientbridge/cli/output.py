"""The JSON output of every command (``--output json`` or ``--json``), in one place.

Every document is one JSON object on stdout, alone (progress and notes go to stderr), with
``"ok"``: true and the command's own fields on success; false and ``"error"`` (`error_json`)
when the command failed before it could give its answer. docs/cli.md ("JSON output")
documents each shape; a change to one is a change to that page.

Nothing here reads a credential: requests are already redacted, settings are listed
without values when secret, and error messages never hold one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from clientbridge.convert import converter
from clientbridge.errors import (
    ClientBridgeError,
    ProviderError,
    UnsupportedFeatureError,
    outcome_unknown,
)
from clientbridge.exit_codes import ExitCode

if TYPE_CHECKING:
    import clientbridge as cb
    from clientbridge.adapters.base import Adapter
    from clientbridge.importer import ImportSummary
    from clientbridge.importer.errors import Advice
    from clientbridge.result import CredentialCheck
    from clientbridge.wire import HttpRequest, Preview

__all__ = [
    "check_json",
    "echo_json",
    "error_json",
    "failure_document",
    "import_document",
    "preview_json",
    "preview_rows_json",
    "provider_json",
    "request_json",
    "result_json",
    "summary_json",
]


#: What ``json.dumps`` leaves raw but a terminal may act on: DEL and the C1 controls.
_RAW_CONTROLS = re.compile(r"[\x7f-\x9f]")


def echo_json(document: Mapping[str, Any]) -> None:
    """Print ``document`` on stdout as indented JSON (every control character escaped;
    a closed pipe drops it, see `say`)."""
    from clientbridge.cli.terminal import say

    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    say(_RAW_CONTROLS.sub(lambda match: f"\\u{ord(match.group()):04x}", text))


def failure_document(error: BaseException, exit_code: int) -> dict[str, Any]:
    """``{"ok": false, "error": ...}``: what a command prints when it failed."""
    return {"ok": False, "error": error_json(error, exit_code)}


def error_json(error: BaseException, exit_code: int | None = None) -> dict[str, Any]:
    """An error as data: every key is always there (``null`` where it does not apply).

    ``type`` is the exception class (``ValidationError``, ``AuthenticationError``...), or
    ``UsageError`` for a mistake on the command line; ``errors`` lists the field errors;
    ``outcome_unknown`` is true when the client may have been created all the same.
    """
    cause = error
    field_errors = [
        {"field": problem.field, "message": problem.message}
        for problem in getattr(cause, "errors", ())
    ]
    columns = _columns(cause)
    field_errors.extend(
        {"field": str(column["header"]), "message": _column_message(column)}
        for column in columns or ()
    )
    field: str | None = None
    if field_errors:
        field = field_errors[0]["field"]
    elif isinstance(cause, UnsupportedFeatureError) and cause.fields:
        field = cause.fields[0]
    elif isinstance(error, click.BadParameter) and error.param is not None:
        field = error.param.opts[0] if error.param.opts else error.param.name
    if isinstance(cause, ClientBridgeError):
        kind = type(cause).__name__
        message = str(cause)
    elif isinstance(error, click.ClickException):
        kind = "UsageError" if error.exit_code == ExitCode.USAGE else type(error).__name__
        message = error.format_message()
    elif isinstance(error, KeyboardInterrupt):
        kind, message = "Interrupted", "interrupted (Ctrl-C or SIGTERM) before the end"
    else:
        kind = type(error).__name__
        message = str(error)
    provider = getattr(cause, "provider", None)
    return {
        "type": kind,
        "message": message,
        "field": field,
        "errors": field_errors,
        "provider": provider if isinstance(provider, str) else None,
        "status_code": cause.status_code if isinstance(cause, ProviderError) else None,
        "outcome_unknown": outcome_unknown(cause),
        # a refused header's columns at fault, as data (None for other errors)
        "columns": columns,
        "exit_code": exit_code,
    }


def _column_message(column: Mapping[str, Any]) -> str:
    if column.get("problem") == "duplicate":
        return f"column {column['position']} fills {column['field']}, as another column does"
    close = column.get("suggestion")
    return f"column {column['position']} is unknown" + (
        f" (did you mean {close}?)" if close else ""
    )


def _columns(error: BaseException) -> list[dict[str, Any]] | None:
    columns = getattr(error, "columns", None)
    if not isinstance(columns, tuple) or not columns:
        return None
    return [dict(column) for column in columns]


def request_json(request: HttpRequest) -> dict[str, Any]:
    """A request as data: method, URL, headers (secrets already ``***``), JSON body."""
    return {
        "method": request.method,
        "url": request.url,
        "headers": {name: str(value) for name, value in request.headers.items()},
        "json": request.json,
    }


def preview_json(preview: Preview, reasons: Mapping[str, str]) -> dict[str, Any]:
    """A preview as data: the requests and what the create would report (``reasons``:
    why each dropped field is not sent, as `Connection.dropped_reason` says)."""
    return {
        "requests": [request_json(request) for request in preview],
        "dropped_fields": list(preview.dropped_fields),
        "dropped": [
            {"field": field, "reason": reasons.get(field)} for field in preview.dropped_fields
        ],
        "warnings": list(preview.warnings),
    }


def result_json(result: cb.CreateResult) -> dict[str, Any]:
    """A created client as data (``client`` and ``raw`` as `cb.converter` gives them)."""
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


def provider_json(adapter: type[Adapter]) -> dict[str, Any]:
    """A provider's names, capabilities and settings (a secret setting's value never)."""
    return {
        "name": adapter.name,
        "display_name": adapter.display_name,
        "aliases": list(adapter.aliases),
        "capabilities": converter.unstructure(adapter.capabilities),
        "settings": [
            {
                "name": setting.name,
                "description": setting.description,
                "required": setting.required,
                "secret": setting.secret,
                "default": None if setting.secret else _plain(setting.default),
                "choices": list(setting.choices),
            }
            for setting in adapter.settings_spec
        ],
    }


def _plain(value: object) -> Any:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def check_json(
    label: str, provider: str, outcome: CredentialCheck | ClientBridgeError, message: str
) -> dict[str, Any]:
    """One target of ``check``: whether it passed, what was tried, what it means
    (``outcome`` is a `ConfigurationError` when the target cannot be used as configured)."""
    if isinstance(outcome, ClientBridgeError):
        return {
            "target": label,
            "provider": provider,
            "ok": False,
            "checked": False,
            "request": None,
            "message": message,
            "error": error_json(outcome),
        }
    return {
        "target": label,
        "provider": provider,
        "ok": outcome.error is None,
        "checked": outcome.checked,
        "request": outcome.request,
        "message": message,
        "error": None if outcome.error is None else error_json(outcome.error),
    }


def summary_json(
    summary: ImportSummary, *, connection: str | None = None, advice: Advice | None = None
) -> dict[str, Any]:
    """An import's summary as data: counts, the first problems, the fields not sent
    (``advice`` words the next steps' remedies)."""
    from clientbridge.importer.errors import LIBRARY_ADVICE
    from clientbridge.importer.reading.frame import ReadNotes
    from clientbridge.importer.reporting.summary import next_steps

    return {
        "connection": connection,
        "target": summary.target,
        "provider": summary.provider,
        "source": str(summary.source),
        "read_as": summary.read_as,
        **(summary.read_notes or ReadNotes()).as_data(),
        "dry_run": summary.dry_run,
        "rows": summary.rows,
        "counts": dict(summary.counts),
        "elapsed_seconds": round(summary.elapsed, 3),
        "interrupted": summary.interrupted,
        # every row was read, sent and answered (Ctrl-C may have come after the last)
        "finished": summary.finished,
        "abandoned": summary.abandoned,
        "stopped_by": None if summary.stopped_by is None else error_json(summary.stopped_by),
        "not_routed": summary.not_routed,
        "dropped": [converter.unstructure(dropped) for dropped in summary.dropped.values()],
        "problems": [
            {"row": problem.line, "outcome": problem.outcome, "error": problem.error}
            for problem in sorted(summary.problems, key=lambda problem: problem.line)
        ],
        "next_steps": list(next_steps(summary, advice or LIBRARY_ADVICE)),
        "report": None if summary.report is None else str(summary.report),
        "journal": None if summary.journal is None else str(summary.journal),
        "exit_code": summary.exit_code,
    }


def import_document(
    summaries: Mapping[str, ImportSummary],
    exit_code: int,
    previews: Sequence[Mapping[str, Any]] = (),
    advice: Advice | None = None,
) -> dict[str, Any]:
    """``import``: one summary per connection (one, unnamed, for a single target)."""
    return {
        "ok": exit_code == ExitCode.OK,
        "exit_code": exit_code,
        "imports": [
            summary_json(summary, connection=name or None, advice=advice)
            for name, summary in summaries.items()
        ],
        "previews": list(previews),
    }


def preview_rows_json(line: int, requests: Iterable[HttpRequest]) -> dict[str, Any]:
    """A dry run's requests for one row."""
    return {"row": line, "requests": [request_json(request) for request in requests]}
