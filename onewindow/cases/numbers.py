"""Case numbers, query codes and document numbers.

Serials come from a PostgreSQL sequence (``cases_serial``): concurrent submissions never wait
on each other and the cost does not grow with the number of cases (gaps are fine, duplicates
impossible). SQLite has no sequences; there a row is inserted into :class:`CaseSerial` (an
AUTOINCREMENT key, never reused) — SQLite serialises writers anyway.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import connection

from onewindow.cases.models import CaseSerial

SEQUENCE = "cases_serial"
# No 0/O, 1/I/L: easy to read out on the phone.
QUERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
QUERY_CODE_LENGTH = 8


def next_serial() -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [SEQUENCE])
            return int(cursor.fetchone()[0])
    row = CaseSerial.objects.create()
    CaseSerial.objects.filter(pk=row.pk).delete()
    return int(row.pk)


def case_number(*, region_code: str, on: dt.date, serial: int) -> str:
    """``379902-20261123-00000123``: county part of the region code, date, serial."""
    return f"{region_code[:6]}-{on:%Y%m%d}-{serial % 100_000_000:08d}"


def query_code() -> str:
    return "".join(secrets.choice(QUERY_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def verify_code() -> str:
    """A random, unguessable code for a document's public verification page."""
    return "".join(secrets.choice(QUERY_ALPHABET) for _ in range(16))


def normalise_code(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")[:24]
