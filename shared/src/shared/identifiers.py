"""Indonesian identifiers: NIK validation and the ``person_ref`` keyed hash.

NIK layout ``PPKKCC DDMMYY SSSS``: district of first registration (Kemendagri), birth date with
day + 40 for women, serial. python-stdnum normalises the number and decodes its birth date;
the place of registration is checked against our own reference table only: stdnum's location
table follows a BPS-like numbering for some regencies and lacks the newest provinces (North
Kalimantan, the Papua splits), whose residents would otherwise be refused. stdnum 2.2 resolves
the two-digit year to the 1900s whenever that date exists, so the birth date is compared as
day, month and two-digit year.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date
from typing import Literal

from stdnum.exceptions import ValidationError
from stdnum.id import nik as stdnum_nik

from shared.regions import RegionRegistry

Sex = Literal["M", "F"]


_COMPACT = re.compile(r"\d{16}", re.ASCII)
"""A NIK already in its compact form (the common case): stdnum's clean-up can be skipped."""


class NikMismatch(ValueError):
    """The NIK is well formed but disagrees with the record; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def compact_nik(nik: str, *, regions: RegionRegistry) -> str:
    """A well-formed NIK of a known district, compacted; else ``NikMismatch`` naming ``nik``."""
    compact = nik if _COMPACT.fullmatch(nik) else str(stdnum_nik.compact(nik))
    if not compact.isdigit() or len(compact) != 16:
        raise NikMismatch("nik", "a NIK has 16 digits")
    try:
        stdnum_nik.get_birth_date(compact)
    except ValidationError as exc:
        raise NikMismatch("nik", "the NIK encodes no valid birth date") from exc
    if regions.district_of_nik(compact) is None:
        district = f"{compact[:2]}.{compact[2:4]}.{compact[4:6]}"
        raise NikMismatch("nik", f"the NIK's district {district} is unknown")
    return compact


def check_nik(nik: str, *, birth_date: date, sex: Sex, regions: RegionRegistry) -> str:
    """Validate a NIK against the record's birth date and sex; return its compact form.

    Raises ``NikMismatch`` naming ``nik``, ``birth_date`` or ``sex``.
    """
    compact = compact_nik(nik, regions=regions)
    day, month, year2 = int(compact[6:8]), int(compact[8:10]), int(compact[10:12])
    nik_sex: Sex = "F" if day > 40 else "M"
    if day > 40:
        day -= 40
    if nik_sex != sex:
        raise NikMismatch("sex", f"sex {sex} disagrees with the NIK, which encodes {nik_sex}")
    if (day, month, year2) != (birth_date.day, birth_date.month, birth_date.year % 100):
        raise NikMismatch(
            "birth_date",
            f"birth_date {birth_date.isoformat()} disagrees with the NIK, which encodes "
            f"{day:02d}-{month:02d}-..{year2:02d}",
        )
    return compact


def person_ref(nik: str, *, secret: str) -> str:
    """The keyed hash that links one person across services without revealing the NIK."""
    compact = nik if _COMPACT.fullmatch(nik) else str(stdnum_nik.compact(nik))
    digest = hmac.new(secret.encode(), compact.encode(), hashlib.sha256)
    return digest.hexdigest()


def nik_for(*, district: str, birth_date: date, sex: Sex, serial: int) -> str:
    """Compose a NIK (for demo data and tests): district ``32.16.01``, birth date, sex, serial."""
    day = birth_date.day + (40 if sex == "F" else 0)
    return (
        district.replace(".", "")
        + f"{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"
    )
