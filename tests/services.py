"""Throw-away servers the tests start themselves: a PostgreSQL cluster (Debian's ``postgresql``
package, installed by scripts/setup.sh) and an S3 API (moto's standalone server).

PostgreSQL refuses to run as root, and CI runs as root: the cluster is made by ``initdb`` run as
the ``postgres`` user (``runuser -u postgres --``) in a temporary folder that user owns, started
by ``pg_ctl`` listening on a Unix socket in that folder only (no TCP port, so parallel test
workers never collide), and stopped and removed at the end of the session. As another user,
``initdb`` runs as that user. Settings trade durability for speed (``fsync=off``): a test cluster
is thrown away anyway.

moto (``moto[server]``, a test dependency) serves S3 on a free loopback port; each test gets a
bucket of its own.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    path = found[-1] if found else shutil.which(name)
    if not path:
        raise RuntimeError(f"PostgreSQL's {name} is not installed: run scripts/setup.sh (it installs Debian's postgresql)")
    return path


class PostgresCluster:
    """A PostgreSQL server of its own, on a Unix socket in a temporary folder."""

    def __init__(self, *, durable: bool = False, settings: str = "") -> None:
        self.durable = durable  # fsync on (benchmarks); off for tests, whose clusters are thrown away
        self.settings = settings  # more "-c name=value" options
        self.as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="outsafe-pg-"))
        self.data = self.root / "data"
        self.port = 5432
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self.started = False

    def _run(self, *argv: str) -> None:
        cmd = (["runuser", "-u", "postgres", "--"] if self.as_root else []) + list(argv)
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    def start(self) -> "PostgresCluster":
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        opts = f"-c listen_addresses='' -k {self.root} -p {self.port} -c max_connections=200 {self.settings}"
        if not self.durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.root / "server.log"), "-w", "-t", "60",
                  "start")
        self.started = True
        return self

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@/{database}?host={self.root}&port={self.port}"

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.url(), autocommit=True)

    def new_database(self, prefix: str = "t") -> str:
        """A new, empty database; its URL."""
        name = f"{prefix}_{secrets.token_hex(6)}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def new_schema(self, prefix: str = "t") -> str:
        """A new, empty schema in the cluster's test database, and the URL of a catalog in it
        (``options=-csearch_path=…``): as good as a database of its own, and far cheaper than
        one (each database copies its template, megabytes on disk)."""
        name = f"{prefix}_{secrets.token_hex(6)}"
        with psycopg.connect(self.url(self.test_database()), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return f"{self.url(self.test_database())}&options=-csearch_path%3D{name}"

    def test_database(self) -> str:
        if not getattr(self, "_testdb", None):
            with self.admin() as conn:
                conn.execute('CREATE DATABASE "outsafe_tests"')
            self._testdb = "outsafe_tests"
        return self._testdb

    def stop(self) -> None:
        try:
            if self.started:
                self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Server:
    """moto's S3 on 127.0.0.1; :meth:`env` is what a client (or an outsafe process) needs."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "S3Server":
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=2).close()
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start on {self.endpoint}") from None
                time.sleep(0.1)

    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ENDPOINT_URL_S3": self.endpoint}

    def new_bucket(self) -> str:
        """A new, empty bucket; its name."""
        import boto3

        name = f"t-{secrets.token_hex(6)}"
        boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
