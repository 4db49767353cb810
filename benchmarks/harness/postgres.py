"""A throwaway PostgreSQL server for the tests and the database benchmark: a new cluster in
a temporary folder, listening on a private Unix socket and on 127.0.0.1 at a free port, with
one password-protected user; stopped and removed afterwards.

PostgreSQL's ``initdb`` and ``pg_ctl`` are often not on PATH (Debian keeps them in
``/usr/lib/postgresql/<version>/bin``); :func:`server_binaries` finds them. PostgreSQL refuses
to run as root, so as root they run as the ``postgres`` user through ``runuser``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

#: The user and password of every throwaway server.
USER, PASSWORD = "dec", "s3cret-Pw!"


def server_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: on PATH, else the newest
    ``/usr/lib/postgresql/*/bin``, else what ``dpkg -L`` lists; None where there is none."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if not candidates and shutil.which("dpkg"):
        listed = subprocess.run(
            "dpkg -L $(dpkg -l 'postgresql-[0-9]*' 2>/dev/null | awk '/^ii/ {print $2}') "
            "2>/dev/null | grep '/bin/initdb$'",
            shell=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        candidates = listed
    for initdb in candidates:
        folder = Path(initdb).parent
        if (folder / "pg_ctl").exists():
            return folder
    return None


def why_no_server() -> str | None:
    """Why a throwaway server cannot start here, or None where it can."""
    if server_binaries() is None:
        return "PostgreSQL's initdb and pg_ctl are not installed"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "running as root without runuser to start PostgreSQL as another user"
    return None


@dataclasses.dataclass
class Server:
    """A running throwaway server."""

    port: int
    socket_dir: Path

    def url(self, password: str | None = PASSWORD, database: str = "postgres") -> str:
        """``postgresql://dec:<password>@127.0.0.1:<port>/<database>`` (no password: none)."""
        secret = f":{password}" if password is not None else ""
        return f"postgresql://{USER}{secret}@127.0.0.1:{self.port}/{database}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def postgres_server():
    """Start a throwaway server; yield its :class:`Server`; stop it and remove its files."""
    binaries = server_binaries()
    if binaries is None:
        raise RuntimeError(why_no_server())
    root = Path(tempfile.mkdtemp(prefix="dec-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, sockets = root / "data", root / "socket"
    password_file = root / "password"
    password_file.write_text(PASSWORD + "\n")
    sockets.mkdir()
    if as_user:
        for path in (password_file, sockets):
            shutil.chown(path, "postgres", "postgres")
    port = _free_port()

    def run(*command: str) -> None:
        done = subprocess.run(
            [*as_user, *command], capture_output=True, text=True, timeout=120, cwd=root
        )
        if done.returncode:
            raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()[-500:]}")

    try:
        run(
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            USER,
            f"--pwfile={password_file}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(root / "log"),
            "-w",
            "start",
        )
        try:
            yield Server(port, sockets)
        finally:
            subprocess.run(
                [*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                timeout=120,
                cwd=root,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
