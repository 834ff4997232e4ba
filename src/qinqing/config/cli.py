"""The `qinqing` console command: Django management with short names.

qinqing serve [addrport]        start the web server (default 127.0.0.1:8000)
qinqing demo load [--seed N]    load the synthetic Ningbo dataset
qinqing demo accounts           print the demo accounts
qinqing stats [--region NAME] [--json]
qinqing audit verify [--from N]
qinqing createadmin
qinqing conduct load FILE.yaml | --sample   load conduct lists / the clean-enterprise checklist
qinqing conduct show [--on YYYY-MM-DD]      print the list items in force
qinqing reports recovery-keygen | recover | sweep
qinqing index compute --period 2026H1 --level district|town --out DIR
qinqing index docs
qinqing rq_worker [--name N]    the task worker on Redis (QINQING_QUEUE_URL); db_worker otherwise
qinqing schedule                enqueue periodic jobs (safe on two machines: one leads)
qinqing backup create --out DIR | restore DIR [--force]
qinqing <any django command>    e.g. qinqing migrate, qinqing db_worker
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.config.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(__doc__)
        if not args:
            return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["qinqing", *args])


if __name__ == "__main__":
    main()
