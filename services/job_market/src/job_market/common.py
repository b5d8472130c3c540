"""Rules every job-market write shares: region, NIK and the outbox."""

from __future__ import annotations

from datetime import date

from shared.errors import invalid
from shared.identifiers import NikMismatch, Sex, check_nik
from shared.regions import registry


def valid_nik(nik: str, *, birth_date: date, sex: Sex, field: str = "nik") -> str:
    """The compact NIK, or a 422 naming the field that disagrees."""
    try:
        return check_nik(nik, birth_date=birth_date, sex=sex, regions=registry())
    except NikMismatch as exc:
        name = field if exc.field == "nik" else exc.field
        raise invalid(name, str(exc)) from exc


def mask_nik(nik: str) -> str:
    """Show the district and serial only: enough for a clerk to recognise the record."""
    return nik[:6] + "******" + nik[-4:]
