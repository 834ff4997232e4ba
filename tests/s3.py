"""A real S3 protocol server for the tests: moto's server mode, started once per session.

Not a mock of boto: django-storages talks HTTP to a server on 127.0.0.1, as it would to
MinIO or Aliyun OSS in production."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

MOTO_SERVER = str(Path(sys.executable).with_name("moto_server"))


@dataclass
class S3Server:
    endpoint: str
    access_key: str = "qinqing-test"
    secret_key: str = "qinqing-test-secret"
    region: str = "us-east-1"

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def new_bucket(self) -> str:
        name = f"qinqing-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        listing = self.client().list_objects_v2(Bucket=bucket)
        return [item["Key"] for item in listing.get("Contents", [])]

    def storages(self, bucket: str) -> dict[str, Any]:
        """The STORAGES setting that ``QINQING_S3_*`` produces, for this server and bucket."""
        return {
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": bucket,
                    "endpoint_url": self.endpoint,
                    "region_name": self.region,
                    "access_key": self.access_key,
                    "secret_key": self.secret_key,
                    "default_acl": None,
                    "querystring_auth": True,
                    "file_overwrite": False,
                },
            },
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
        }


def web_start_up_failure(env: dict[str, str]) -> str:
    """Start the web application (import its WSGI module) with ``env`` on top of this
    process's environment; it must stop with status 2, one ``qinqing:`` line and no
    traceback. Returns that line."""
    full = {**os.environ, "DATABASE_URL": "", **env}
    full.pop("QINQING_STARTUP_CHECK", None)
    done = subprocess.run(
        [sys.executable, "-c", "import qinqing.config.wsgi"],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("qinqing:")]
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    port = free_port()
    process = subprocess.Popen(
        [MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = S3Server(endpoint=f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
