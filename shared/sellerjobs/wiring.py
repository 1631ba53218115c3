"""The edge: each function's services, bootstrapped once per container.

Handlers call ``services()`` when they are invoked (never at import time, so a cold start only
imports what its function uses). In Lambda the settings are the process environment and the
clock is the system's; a runner that plays the function (``sellerjobs.environment.running_in``)
gives its own variables, clock and replaced adapters, and gets services built from those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sellerjobs import environment
from sellerjobs.clock import SystemClock
from sellerjobs.environment import once_per_environment

if TYPE_CHECKING:
    from sellerjobs.bootstrap import Services


@once_per_environment
def services() -> Services:
    from sellerjobs.bootstrap import bootstrap
    from sellerjobs.config import Settings

    running = environment.current()
    if running is None:
        return bootstrap(Settings(environment.variables()), SystemClock())
    return bootstrap(Settings(running.variables), running.clock or SystemClock(), running.overrides)

