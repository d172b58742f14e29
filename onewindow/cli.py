"""The ``onewindow`` command: Django's manage.py with OneWindow's own subcommands.

    onewindow serve                  production-grade server (gunicorn) plus the job worker
    onewindow demo [--force]         load the demo city into an empty database
    onewindow workdays add DATE N    the date N working days after DATE
    onewindow workdays between A B   working days between two dates
    onewindow workdays import FILE   load an official holiday schedule
    onewindow catalog import FILE    import a catalogue (xlsx or json), all or nothing
    onewindow catalog export --format xlsx|json [-o FILE]
    onewindow regions import FILE    import a region tree from CSV, all or nothing
    onewindow audit verify           check every case log hash chain and the daily anchors
    onewindow orders verify          check every 12345 work order's log hash chain
    onewindow stats verify           compare the dashboards' roll-up with direct counts
    onewindow stats rebuild          recompute the dashboards' roll-up tables from the cases

Every Django command (migrate, createsuperuser, …) works as well: ``onewindow help``.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(__doc__)
        args = ["help"]
    execute_from_command_line(["onewindow", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
