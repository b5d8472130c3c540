"""NIK rules every service shares when a request names a person: check it, mask it."""

from __future__ import annotations

from datetime import date

from shared.errors import invalid
from shared.identifiers import NikMismatch, Sex, check_nik
from shared.regions import registry


def valid_nik(nik: str, *, birth_date: date, sex: Sex, field: str = "nik") -> str:
    """The compact NIK, or a 422 naming the field that disagrees.

    ``field`` names the NIK in the request (e.g. ``victims.0.nik``); a disagreeing birth date
    or sex is named beside it (``victims.0.birth_date``).
    """
    try:
        return check_nik(nik, birth_date=birth_date, sex=sex, regions=registry())
    except NikMismatch as exc:
        prefix = field.rpartition(".")[0]
        name = field if exc.field == "nik" else (f"{prefix}.{exc.field}" if prefix else exc.field)
        raise invalid(name, str(exc)) from exc


def mask_nik(nik: str) -> str:
    """Show the district and serial only: enough for a clerk to recognise the record."""
    return nik[:6] + "******" + nik[-4:]
