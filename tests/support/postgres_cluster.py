"""A second PostgreSQL server of the test's own: ``initdb`` into a temporary folder, started
on a free loopback port, stopped and removed afterwards.

Uses the server binaries of Debian's ``postgresql`` package (``/usr/lib/postgresql/<v>/bin``).
``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres``
user.  Fast settings only a throw-away cluster may have (``fsync=off``).
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL server's ``bin`` folder, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_owner(command: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *command] if owner else command


@contextmanager
def second_cluster() -> Iterator[str]:
    """Yield the SQLAlchemy URL of database ``zeren`` on a new, running cluster."""
    binaries = server_binaries()
    if binaries is None:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql (Debian package postgresql)")
    owner = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="zeren-pg-"))
    data = folder / "data"
    if owner:
        record = pwd.getpwnam(owner)
        os.chown(folder, record.pw_uid, record.pw_gid)
    port = _free_port()
    subprocess.run(_as_owner([str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                              "--no-sync", "-E", "UTF8"], owner), check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run(_as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                              "-w", "-t", "60", "start"], owner), check=True, capture_output=True)
    try:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as connection:
            connection.execute("CREATE DATABASE zeren")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/zeren"
    finally:
        subprocess.run(_as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], owner),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
