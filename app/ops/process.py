"""Child processes that never outlive their parent (gunicorn's workers, the job worker's)."""
from __future__ import annotations

import os
import signal
import sys


def die_with_parent(parent_pid: int) -> None:
    """Have Linux SIGKILL this process the moment its parent dies (``PR_SET_PDEATHSIG``).

    A child notices a dead parent only when it next looks (gunicorn's sync worker compares
    its parent pid between requests; Huey's process workers never do): after a SIGKILLed
    master, orphans kept serving, holding the port and bureau databases, and a restarted
    master could not bind.  SIGKILL rather than SIGTERM: with the parent gone no one would
    enforce a graceful timeout, and the new parent must find the port free.  A normal stop
    is unaffected (the parent outlives its children).  No-op outside Linux.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    if libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0) != 0:
        return  # refused (very unusual): the parent checks of gunicorn and Huey still apply
    if os.getppid() != parent_pid:  # the parent died between the fork and the prctl
        os.kill(os.getpid(), signal.SIGKILL)
