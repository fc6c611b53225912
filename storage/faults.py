"""Crash points for the fault suite: the places where a ``kill -9`` is most likely to hurt.

``crash_point("import.before_commit")`` does nothing unless the environment variable
``OUTSAFE_CRASH_AT`` names that point, in which case the process kills itself with SIGKILL on the
spot — no cleanup, no ``finally``, exactly like a power cut or the OOM killer. The tests in
``tests/test_faults.py`` run real outsafe processes with it set, then check that the archive
verifies and holds exactly what it held before or after. In normal use the variable is unset and
a crash point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "OUTSAFE_CRASH_AT"


def crash_point(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
