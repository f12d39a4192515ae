"""One emulator per provider, each following its page in ``providers/``."""

from __future__ import annotations

from collections.abc import Mapping

from clientbridge.sandbox.emulators.agencyhandy import AgencyHandyEmulator
from clientbridge.sandbox.emulators.base import Emulator
from clientbridge.sandbox.emulators.placio import PlacioEmulator
from clientbridge.sandbox.emulators.proconvey import ProConveyEmulator
from clientbridge.sandbox.emulators.roostedhr import RoostedHREmulator

__all__ = [
    "EMULATORS",
    "AgencyHandyEmulator",
    "Emulator",
    "PlacioEmulator",
    "ProConveyEmulator",
    "RoostedHREmulator",
]

EMULATORS: Mapping[str, type[Emulator]] = {
    emulator.provider: emulator
    for emulator in (AgencyHandyEmulator, PlacioEmulator, ProConveyEmulator, RoostedHREmulator)
}
