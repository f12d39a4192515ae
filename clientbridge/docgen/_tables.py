"""The tables built from the adapters' declarations: the capability matrix, what a ledger does
with an unknown outcome, each provider's field mapping and settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from clientbridge.adapters.base import NEUTRAL_FIELDS, Adapter
from clientbridge.registry import adapter_class, providers
from clientbridge.settle import Settling, settling

if TYPE_CHECKING:
    pass


def sent_fields(adapter: type[Adapter]) -> set[str]:
    """The neutral fields that can reach this provider's wire."""
    fields = {field for rule in adapter.fields for field in rule.neutral}
    if adapter.capabilities.leads:
        fields.add("lead")
    return fields


def capability_matrix(names: Sequence[str] | None = None) -> str:
    """A Markdown table: providers by neutral fields and features."""
    adapters = [adapter_class(name) for name in (names or providers())]
    header = ["", *(adapter.display_name for adapter in adapters)]
    rows = [header, ["---"] * len(header)]
    sent = [sent_fields(adapter) for adapter in adapters]
    for field in NEUTRAL_FIELDS:
        rows.append([f"`{field}`", *("✓" if field in fields else "—" for fields in sent)])
    rows.append(["leads", *("✓" if a.capabilities.leads else "—" for a in adapters)])
    rows.append(["clients per request", *(str(a.capabilities.bulk_size) for a in adapters)])
    rows.append(
        [
            "look-ups",
            *(", ".join(f"`{k}`" for k in a.capabilities.lookups) or "—" for a in adapters),
        ]
    )
    rows.append(
        ["invite status", *("✓" if a.capabilities.invite_status else "—" for a in adapters)]
    )
    rows.append(["unknown rows settled on resume", *(_resume_check(a) for a in adapters)])
    return markdown_table(rows)


def _resume_check(adapter: type[Adapter]) -> str:
    """How `clientbridge import` settles rows an earlier run left unknown."""
    way = settling(adapter.capabilities)
    if way is Settling.LOOK_UP:
        return "looked up; sent if not found after the settle window"
    if way is Settling.RESEND:
        return "sent again (unique email; one in flight per email)"
    return "— (`--retry-unknown`, confirmed)"


def ledger_unknowns(names: Sequence[str] | None = None) -> str:
    """A Markdown table: what a ledger's next create does with a key left unknown, per
    provider (from `Capabilities`, by the rule of `clientbridge.settle`)."""
    rows = [["provider", "a key left unknown, on the next create"], ["---"] * 2]
    for name in names or providers():
        adapter = adapter_class(name)
        if settling(adapter.capabilities, resend_by_email=False) is Settling.LOOK_UP:
            what = (
                "looked up: found → recorded and replayed; not found → sent once the settle "
                "window has passed (before it: `UnknownOutcomeError` with `retry_after`)"
            )
        else:
            what = (
                "cannot be asked: `UnknownOutcomeError` (`retry_after` None); check, then "
                "`resend_unknown=True`"
            )
        rows.append([adapter.display_name, what])
    return markdown_table(rows)


def field_mapping(name: str) -> str:
    """A Markdown table of one provider's wire fields and where they come from."""
    adapter = adapter_class(name)
    rows = [
        ["wire field", "from (neutral)", "required", "max length", "notes"],
        ["---"] * 5,
    ]
    for rule in adapter.fields:
        rows.append(
            [
                f"`{rule.wire}`",
                ", ".join(f"`{field}`" for field in rule.neutral),
                "yes" if rule.required else "",
                str(rule.max_length) if rule.max_length else "",
                rule.note,
            ]
        )
    sent = sent_fields(adapter)
    dropped = [f"`{field}`" for field in NEUTRAL_FIELDS if field not in sent]
    table = markdown_table(rows)
    if dropped:
        table += (
            f"\nNot sent (listed in `dropped_fields`, one warning each): {', '.join(dropped)}.\n"
        )
    return table


def settings_table(name: str) -> str:
    """A Markdown table of one provider's settings."""
    adapter = adapter_class(name)
    rows = [["setting", "required", "default", "description"], ["---"] * 4]
    for setting in adapter.settings_spec:
        default = "" if setting.default is None else f"`{setting.default}`"
        description = setting.description + (" (secret)" if setting.secret else "")
        rows.append([f"`{setting.name}`", "yes" if setting.required else "", default, description])
    aliases = ", ".join(f"`{alias}`" for alias in adapter.aliases)
    table = markdown_table(rows)
    if aliases:
        table += f"\nAliases: {aliases}.\n"
    return table


def markdown_table(rows: list[list[str]]) -> str:
    return "".join(
        "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |\n" for row in rows
    )
