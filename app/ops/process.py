"""Processes: children that never outlive their parent (gunicorn's workers, the job
worker's), and the ``host:pid`` names by which a job or a bureau move records who runs it."""
from __future__ import annotations

import os
import signal
import socket
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


def this_process() -> str:
    """This process as ``host:pid``: what a job or a move records as its runner."""
    return f"{socket.gethostname()}:{os.getpid()}"


def gone_here(runner: str | None) -> bool:
    """Whether ``runner`` (:func:`this_process` of some process) ran on this host and is
    gone; a process on another host, or one this user may not signal, is never presumed
    gone."""
    host, _, pid = (runner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def stop_here(runner: str | None) -> bool:
    """SIGKILL ``runner`` if it is another process on this host (a job worker stuck in a
    job; its consumer starts a fresh one).  This process is never killed: with thread
    workers the runner is the consumer itself, and only its supervisor may restart it."""
    host, _, pid = (runner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) in (os.getpid(), os.getppid()):
        return False
    try:
        os.kill(int(pid), signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    return True
