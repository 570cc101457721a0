"""A real OpenLDAP server for the directory tests: Debian's slapd with a temporary
``slapd.conf`` and data folder, loaded with a small city directory, on a port of its own."""
from __future__ import annotations

import contextlib
import random
import ctypes
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SLAPD = shutil.which("slapd") or ("/usr/sbin/slapd" if Path("/usr/sbin/slapd").exists() else None)
SLAPADD = shutil.which("slapadd") or ("/usr/sbin/slapadd" if Path("/usr/sbin/slapadd").exists() else None)
SCHEMA = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
PORTS = range(7200, 7250)

BASE = "dc=city,dc=gov"
ADMIN_DN = f"cn=admin,{BASE}"
ADMIN_PASSWORD = "slapd-admin-pw"
SERVICE_DN = f"cn=zeren,ou=services,{BASE}"
SERVICE_PASSWORD = "Service-account-pw-1"
#: The directory's people: uid → (display name, password, groups).
PEOPLE = {
    "zhangwei": ("张伟", "Zhang-Wei-dir-pw1", ("city-admins",)),
    "lina": ("李娜", "Li-Na-dir-pw-22", ("jgswj-editors",)),
    "wangfang": ("王芳", "Wang-Fang-dir-33", ("jgswj-editors", "jgswj-admins")),
    "liuyang": ("刘洋", "Liu-Yang-dir-444", ()),
    "city": ("冒名者", "Impostor-dir-555", ("city-admins",)),  # the name of a local account
}
GROUPS = ("city-admins", "jgswj-editors", "jgswj-admins")


def group_dn(name: str) -> str:
    """The DN of one of the test directory's groups."""
    return f"cn={name},ou=groups,{BASE}"


def person_dn(uid: str) -> str:
    """The DN of one of the test directory's people."""
    return f"uid={uid},ou=people,{BASE}"


def _ldif() -> str:
    blocks = [f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: 某市\ndc: city",
              f"dn: ou=people,{BASE}\nobjectClass: organizationalUnit\nou: people",
              f"dn: ou=groups,{BASE}\nobjectClass: organizationalUnit\nou: groups",
              f"dn: ou=services,{BASE}\nobjectClass: organizationalUnit\nou: services",
              f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
              f"cn: zeren\nuserPassword: {SERVICE_PASSWORD}"]
    for uid, (name, password, _) in PEOPLE.items():
        blocks.append(f"dn: {person_dn(uid)}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\nsn: {name[0]}\n"
                      f"displayName: {name}\nmail: {uid}@city.gov.cn\nuserPassword: {password}")
    for group in GROUPS:
        members = [person_dn(uid) for uid, (_, _, groups) in PEOPLE.items() if group in groups] or [ADMIN_DN]
        blocks.append(f"dn: {group_dn(group)}\nobjectClass: groupOfNames\ncn: {group}\n"
                      + "\n".join(f"member: {m}" for m in members))
    return "\n\n".join(blocks) + "\n"


def _conf(folder: Path) -> str:
    schemas = "\n".join(f"include {SCHEMA / name}.schema" for name in ("core", "cosine", "inetorgperson", "nis"))
    return f"""{schemas}
modulepath {MODULES}
moduleload back_mdb
pidfile {folder / 'slapd.pid'}
argsfile {folder / 'slapd.args'}
loglevel none
database mdb
maxsize 10485760
suffix "{BASE}"
rootdn "{ADMIN_DN}"
rootpw {ADMIN_PASSWORD}
directory {folder / 'data'}
access to attrs=userPassword by anonymous auth by * none
access to * by * read
"""


@dataclass
class Slapd:
    """A running slapd: its URL, and how to stop and start it again on the same port."""

    folder: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([SLAPD, "-d", "0", "-f", str(self.folder / "slapd.conf"),
                                         "-h", self.url], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited: {self.process.stderr.read().decode(errors='replace')[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                time.sleep(0.05)
                continue
            time.sleep(0.1)  # the port answers: ours, unless our slapd lost the bind and exits
            if self.process.poll() is None:
                return
        if self.process.poll() is not None:
            raise RuntimeError(f"slapd exited: {self.process.stderr.read().decode(errors='replace')[-2000:]}")
        raise RuntimeError("slapd did not open its port")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _die_with_parent() -> None:
    # A test process that is killed never reaches the fixture's stop: the kernel stops
    # slapd then (Linux's PR_SET_PDEATHSIG), so no directory outlives its tests.
    with contextlib.suppress(OSError):  # no glibc: the fixture's own stop is all there is
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def free_port(ports=PORTS) -> int:
    """A port of ``ports`` nobody listens on now (tried in a random order: the suite's
    workers start their directories at the same moment)."""
    for port in random.sample(list(ports), len(ports)):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports}")


def start_slapd(folder: Path) -> Slapd:
    """Write the configuration and data of the test directory into ``folder``, load it
    (slapadd) and start slapd."""
    (folder / "data").mkdir(parents=True)
    (folder / "slapd.conf").write_text(_conf(folder))
    (folder / "city.ldif").write_text(_ldif(), encoding="utf-8")
    subprocess.run([SLAPADD, "-f", str(folder / "slapd.conf"), "-l", str(folder / "city.ldif")],
                   check=True, capture_output=True)
    # Between the probe and slapd's bind another worker may take the port: slapd then
    # exits, and the next free port is tried.
    for _attempt in range(5):
        server = Slapd(folder, free_port())
        try:
            server.start()
        except RuntimeError:
            server.stop()
            continue
        return server
    raise RuntimeError("slapd could not take a port")
