"""Run every benchmark of issue #2 against the PostgreSQL database in DATABASE_URL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onewindow_bench python bench/run_all.py

Each script creates and migrates the database if needed and prints its own figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    ["bench_catalog_import.py"],
    ["bench_search.py"],
    ["bench_workdays.py"],
]


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.stderr.write("Set DATABASE_URL to a PostgreSQL database (the figures are for it).\n")
        return 2
    env = {**os.environ, "ONEWINDOW_TESTING": "1"}
    for script in SCRIPTS:
        print(f"\n=== {' '.join(script)} ===", flush=True)
        result = subprocess.run([sys.executable, str(HERE / script[0]), *script[1:]], env=env)
        if result.returncode != 0:
            return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
