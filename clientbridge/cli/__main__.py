"""``python -m clientbridge.cli``: the ``clientbridge`` command."""

from clientbridge.cli import main

main()
