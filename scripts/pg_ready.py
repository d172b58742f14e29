"""Exit 0 when the PostgreSQL server of the given URL accepts connections, else 1."""

import sys
from urllib.parse import urlparse

import psycopg

url = urlparse(sys.argv[1])
try:
    psycopg.connect(
        host=url.hostname, port=url.port or 5432, user=url.username or "postgres",
        password=url.password or None, dbname="postgres", connect_timeout=3,
    ).close()
except psycopg.Error as exc:
    sys.stderr.write(f"PostgreSQL not reachable: {exc}\n")
    sys.exit(1)
