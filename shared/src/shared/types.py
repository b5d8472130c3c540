"""Constrained field types of Indonesian labour-data identifiers (used in request models)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

Nib = Annotated[str, Field(pattern=r"^\d{13}$", description="13-digit NIB from OSS")]
KbliCode = Annotated[str, Field(pattern=r"^\d{2,5}$", description="KBLI industry code")]
KbjiCode = Annotated[str, Field(pattern=r"^\d{1,6}$", description="KBJI 2014 occupation code")]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
Kpj = Annotated[str, Field(pattern=r"^\d{11}$", description="11-digit BPJS member card (KPJ)")]
Npp = Annotated[str, Field(pattern=r"^\d{8}$", description="8-digit BPJS employer number (NPP)")]
