"""Peak memory and time of the upload check against the probe's decompression bombs.

Usage:
  .venv/bin/python bench/upload_bombs.py [--gib 1]

Builds in memory, as the penetration probe of issue 14 did: a ``.docx`` holding one
zero-filled part of ``--gib`` GiB (about 1 MB packed), the same with its central directory
lying about the part's size (1 KB claimed), and a 20000×20000 1-bit PNG (a few hundred KB);
then runs ``qinqing.common.files.check_upload`` on each under ``tracemalloc`` and reports
the peak of Python allocations during the check (the bomb's own packed bytes, built before
tracing starts, are not counted) and the wall time. Also cleans (``strip_metadata``) a
large genuine Word file (ten 4 MiB parts that do not compress, 40 MiB) to show the peak of
the streaming rewrite.

Only the benchmark depends on this file; the project does not.
"""

from __future__ import annotations

import argparse
import io
import os
import struct
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.config.settings")


def measure(label: str, run: Any) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome = run()
    except Exception as exc:  # the refusals are what we measure
        outcome = f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<44} peak {peak / 1024 / 1024:7.2f} MiB  {elapsed * 1000:8.1f} ms  {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gib", type=float, default=1.0)
    args = parser.parse_args()

    import django

    django.setup()
    from tests import uploads

    from qinqing.common.files import EXTENSIONS, check_upload
    from qinqing.common.metadata import strip_metadata

    unpacked = int(args.gib * 1024**3)
    bomb = uploads.zip_bomb_docx(unpacked=unpacked)
    liar = bytearray(bomb)
    struct.pack_into("<I", liar, liar.rfind(b"PK\x01\x02") + 24, 1024)
    png = uploads.png_bomb(20000, 20000)
    print(f"docx bomb: {len(bomb) / 1024:.0f} KiB packed, {unpacked / 1024**3:g} GiB unpacked")
    print(f"png bomb:  {len(png) / 1024:.0f} KiB, 20000×20000 = 400 megapixels")

    def check(name: str, content: bytes) -> Any:
        return lambda: (
            check_upload(
                uploads.upload(name, content), accept=EXTENSIONS, field="f", max_bytes=10**9
            ).kind.key
        )

    measure("check: docx bomb (sizes declared)", check("bomb.docx", bomb))
    measure("check: docx bomb (directory lies)", check("liar.docx", bytes(liar)))
    measure("check: 20000×20000 PNG", check("bomb.png", png))

    parts = {f"word/media/part{i}.bin": os.urandom(4 * 1024 * 1024) for i in range(10)}
    big = uploads.office("word/", parts)  # 40 MiB of photos' worth of parts, under the cap
    measure("check: docx with 40 MiB of parts", check("big.docx", big))
    measure("strip_metadata: the same (streamed)", lambda: len(strip_metadata(big, ".docx")))
    with zipfile.ZipFile(io.BytesIO(big)) as archive:
        largest = max(i.file_size for i in archive.infolist())
    print(f"(largest part {largest / 1024 / 1024:.1f} MiB; the old rewrite held each part whole)")


if __name__ == "__main__":
    main()
