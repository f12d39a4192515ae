"""``python -m clientbridge.docgen [docs] [--check]``: rewrite (or check) the generated blocks."""

import sys

from clientbridge.docgen import main

sys.exit(main())
