"""Finding the records of a person by NIK without putting the NIK in a URL or an answer.

Reads carry no part of the NIK. A system that needs "every job seeker with this NIK" sends the
NIK in the body of a ``POST .../search``; the service turns it into the person's ``person_ref``
(the keyed hash every record about a person carries) and lists the caller's records with it.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.errors import invalid
from shared.identifiers import NikMismatch, compact_nik, person_ref
from shared.input import STRICT_INPUT, Text
from shared.regions import registry


class NikSearch(BaseModel):
    """The body of a search by NIK."""

    model_config = STRICT_INPUT

    nik: Text = Field(min_length=1, max_length=32, description="The 16-digit NIK to look for")


def searched_person_ref(search: NikSearch, *, secret: str) -> str:
    """The ``person_ref`` of the searched NIK, or a 422 when the NIK is malformed."""
    try:
        return person_ref(compact_nik(search.nik, regions=registry()), secret=secret)
    except NikMismatch as exc:
        raise invalid("nik", str(exc)) from exc
