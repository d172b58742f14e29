"""Run every benchmark (issues #2 and #3) against the PostgreSQL database in DATABASE_URL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onewindow_bench python bench/run_all.py

Each script creates and migrates the database if needed and prints its own figures. The cases
benchmark gets a database of its own (the name with ``_cases`` appended): it holds 1,000,000
cases and rebuilds them when there are fewer.
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
    ["bench_cases.py"],
    ["bench_robot.py"],
    ["bench_hall.py"],
    ["bench_hall_stream.py"],
    ["bench_hotline_orders.py"],
    ["bench_supervision.py"],
    ["bench_stats.py"],  # 10,000,000 cases: about an hour to build the first time
    ["bench_parallel.py"],  # re-uses the statistics database
]


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.stderr.write("Set DATABASE_URL to a PostgreSQL database (the figures are for it).\n")
        return 2
    env = {**os.environ, "ONEWINDOW_TESTING": "1"}
    for script in SCRIPTS:
        print(f"\n=== {' '.join(script)} ===", flush=True)
        run_env = dict(env)
        own_database = {"bench_cases.py": "_cases", "bench_hotline_orders.py": "_orders",
                        "bench_supervision.py": "_supervision", "bench_hall.py": "_hall",
                        "bench_hall_stream.py": "_screen", "bench_stats.py": "_stats",
                        "bench_parallel.py": "_stats"}
        if script[0] in own_database:
            run_env["DATABASE_URL"] = env["DATABASE_URL"].rstrip("/") + own_database[script[0]]
        result = subprocess.run([sys.executable, str(HERE / script[0]), *script[1:]],
                                env=run_env)
        if result.returncode != 0:
            return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
