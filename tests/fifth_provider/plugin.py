"""A pytest plug-in that makes Quillbook a fifth built-in for one run.

It does what adding the provider to the package does: the registry's built-in table gets
its line (``registry._BUILTINS``), the emulators' package its module (`EMULATORS`), and
``tests/providers`` its fixture module (unless ``CLIENTBRIDGE_FIFTH_WITHOUT_FIXTURE`` is
set, to show the suites fail loudly without one).
"""

from __future__ import annotations

import os
from pathlib import Path

from clientbridge import registry
from clientbridge.sandbox.emulators import EMULATORS

from .emulator import QuillbookEmulator

registry._BUILTINS["quillbook"] = "tests.fifth_provider.adapter:QuillbookAdapter"
registry.refresh()
EMULATORS["quillbook"] = QuillbookEmulator

if not os.environ.get("CLIENTBRIDGE_FIFTH_WITHOUT_FIXTURE"):
    import tests.providers

    tests.providers.__path__.append(str(Path(__file__).parent / "fixtures"))
