"""``python -m clientbridge.sandbox serve --provider NAME``: run a sandbox server.

The same click command as ``clientbridge sandbox serve`` (`clientbridge.cli.sandbox`),
so both take the same options; ``python -m clientbridge.sandbox serve --help`` lists them.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> None:
    from clientbridge.cli.sandbox import sandbox

    sandbox.main(
        args=argv,
        prog_name="python -m clientbridge.sandbox",
        help_option_names=["-h", "--help"],
    )


if __name__ == "__main__":
    main()
