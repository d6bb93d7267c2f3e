"""A throwaway PostgreSQL server for the tests and benchmarks, from Debian's `postgresql` package.

Runs as the `postgres` user when the tests run as root (initdb refuses root), in a temporary
directory, on 127.0.0.1 and a free port; stopped and deleted at the end.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from types import TracebackType

from harness.ports import free_port

USER = "crosslink"


def postgres_bin() -> Path | None:
    """The newest installed server's bin directory, or None if PostgreSQL is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_major_version)
    return Path(found[-1]).parent if found else None


def _major_version(path: str) -> int:
    return int(Path(path).parent.parent.name)


class LocalPostgres:
    def __init__(self, bin_dir: Path) -> None:
        self._bin = bin_dir
        self._dir = Path(tempfile.mkdtemp(prefix="crosslink-pg-"))
        self._data = self._dir / "data"
        self.port = free_port()

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; its postgresql:// URL."""
        name = f"notifier_{uuid.uuid4().hex[:8]}"
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, name)
        return self.url(name)

    def __enter__(self) -> LocalPostgres:
        if os.geteuid() == 0:
            postgres = pwd.getpwnam("postgres")
            os.chown(self._dir, postgres.pw_uid, postgres.pw_gid)
        self._run("initdb", "-D", str(self._data), "-U", USER, "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self._dir} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run("pg_ctl", "-D", str(self._data), "-o", options, "-l",
                  str(self._dir / "server.log"), "-w", "start")  # fmt: skip
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self._run("pg_ctl", "-D", str(self._data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self._bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self._dir)
