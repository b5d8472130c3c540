"""Demo data: a realistic year of labour records for the eight pilot regions, via the gateway.

This module owns two things. :func:`generate` is pure: from a seed, a scale and today's date it
builds every record a newcomer's indicators need for the twelve months ending last month, for
all four domains, with Indonesian names (Faker ``id_ID``) and NIKs that agree with birth date,
sex and a real district. People cross domains as they do in life: training graduates register
as job seekers and get placed, placed workers become BPJS members (most of them, some late),
members and uncovered workers have workplace accidents, members claim.

:func:`load_demo` writes those records only through the gateway's import API, each pilot
region's with its own demo client and social security with BPJS's, exactly as the regions'
systems would: one import job per client and entity (of at most ``BATCH`` records), the
entities of a chain one after another so that references resolve. Every record is an upsert by
``external_id`` (companies by NIB), so loading the same seed again in the same month is a pure
replay that the jobs count as ``unchanged``, and retrying an upload after a 5xx or a broken
connection is always safe. A rejected record means the generator (or a service) is wrong:
loading stops with the job's first conflicts.

Then each region closes its reporting periods of the window through the reporting-period API
(:func:`reporting_plan`; social security's are closed by BPJS), all but a few left open on
purpose so that the reporting rates show gaps: the window's last month in every other pilot
region (Kota Bandung, Kabupaten Batang, Kabupaten Asahan, Kabupaten Halmahera Selatan: not
closed yet), and two older gaps (``OPEN_GAPS``). A month closes with the server's time, so the
last month is on time (within 15 days of its end) when the demo loads early in a month and the
older months are closed late. Closing a closed month is a no-op, so a replay changes nothing.

    python -m sinergi_local.demo --gateway http://127.0.0.1:8000 \\
        --clients .local/demo-clients.json [--seed 2025] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

import httpx
from faker import Faker
from shared.identifiers import NikMismatch, check_nik, nik_for
from shared.regions import PILOT_REGIONS, registry
from shared.services import DOMAINS

Sex = Literal["M", "F"]
T = TypeVar("T")

DEFAULT_SEED = 2025
MONTHS = 12
# Records per import job (one client's, of one entity): far below the import API's limits
# (1,000,000 records, 200 MB); at the default scale every client's records are one job.
BATCH = 5_000
# Import jobs of one entity uploaded and awaited at once. A service works its jobs one after
# another: one worked and one staged keep it busy; more would only wait, each asking the
# service for its job meanwhile (Prefer: wait).
JOBS_IN_FLIGHT = 2
# Prefer: wait of an upload: the job, once finished, comes with the answer. Below the gateway's
# 30 s upstream timeout, so that the answer of a slow job is a 202 to poll and never a 504.
WAIT_SECONDS = 20
FIRST_POLL = 0.2
MAX_POLL = 2.0
JOB_FINISHED = ("done", "failed", "cancelled")
CONFLICTS_SHOWN = 5
ATTEMPTS = 10
FIRST_BACKOFF = 0.25
MAX_BACKOFF = 5.0
BPJS_CLIENT = "bpjs-ketenagakerjaan"
# Reporting periods closed at once (each close is one small request).
CLOSES_IN_FLIGHT = 8


# ----------------------------------------------------------------------------- reference data
@dataclass(frozen=True, slots=True)
class RegionProfile:
    """What shapes one pilot region's records: its size, wages and industries."""

    code: str
    population_m: float  # residents in millions (2020 census, rounded)
    min_wage_idr: int  # regency minimum wage (UMK 2025, approximate)
    sectors: tuple[tuple[str, int], ...]  # KBLI 2020 code and relative weight
    bpvp: str | None  # the ministry's vocational training centre in the region, if any


PROFILES: dict[str, RegionProfile] = {
    p.code: p
    for p in (
        RegionProfile(
            "32.16", 3.11, 5_558_000,
            (("29100", 4), ("29300", 5), ("24101", 2), ("10750", 3), ("52101", 3),
             ("49431", 2), ("47111", 3), ("41011", 2)),
            "BPVP Bekasi",
        ),
        RegionProfile(
            "32.73", 2.44, 4_482_000,
            (("14111", 4), ("13112", 2), ("62019", 3), ("56101", 4), ("47111", 4),
             ("86103", 2), ("15201", 2)),
            "BPVP Bandung",
        ),
        RegionProfile(
            "32.13", 1.60, 3_524_000,
            (("0112", 3), ("14111", 4), ("15201", 3), ("29300", 2), ("10750", 2), ("47111", 3)),
            None,
        ),
        RegionProfile(
            "33.25", 0.80, 2_570_000,
            (("14111", 3), ("15201", 3), ("10750", 2), ("03111", 2), ("47111", 2), ("41011", 1)),
            None,
        ),
        RegionProfile(
            "12.75", 0.29, 3_050_000,
            (("47111", 4), ("10750", 2), ("10431", 1), ("56101", 3), ("41011", 2)),
            None,
        ),
        RegionProfile(
            "12.09", 0.77, 3_200_000,
            (("01262", 5), ("10431", 3), ("01291", 2), ("03111", 2), ("47111", 2)),
            None,
        ),
        RegionProfile(
            "13.03", 0.24, 2_994_000,
            (("01291", 4), ("05100", 2), ("01262", 2), ("47111", 2)),
            None,
        ),
        RegionProfile(
            "82.04", 0.25, 3_408_000,
            (("0729", 5), ("03111", 3), ("41011", 2), ("47111", 2)),
            None,
        ),
    )
}  # fmt: skip

# KBJI 2014 occupations (ISCO-08 numbering) and how a vacancy names them.
OCCUPATIONS: dict[str, str] = {
    "2221": "Perawat",
    "2512": "Pengembang Perangkat Lunak",
    "3115": "Teknisi Mesin",
    "3512": "Teknisi Dukungan TIK",
    "4110": "Staf Administrasi",
    "4226": "Resepsionis",
    "4321": "Staf Gudang",
    "5120": "Juru Masak",
    "5131": "Pramusaji",
    "5223": "Pramuniaga",
    "5230": "Kasir",
    "5414": "Petugas Keamanan",
    "6222": "Nelayan Pantai",
    "6223": "Nelayan Laut Dalam",
    "7112": "Tukang Batu",
    "7115": "Tukang Kayu",
    "7127": "Teknisi Pendingin Ruangan",
    "7212": "Juru Las",
    "7231": "Mekanik Kendaraan Bermotor",
    "7233": "Mekanik Mesin Industri",
    "7411": "Teknisi Listrik",
    "7512": "Pembuat Roti dan Kue",
    "7531": "Penjahit",
    "8111": "Penambang",
    "8121": "Operator Mesin Pengolahan Logam",
    "8151": "Operator Mesin Pemintalan",
    "8153": "Operator Mesin Jahit",
    "8156": "Operator Mesin Alas Kaki",
    "8160": "Operator Mesin Pengolahan Makanan",
    "8211": "Operator Perakitan",
    "8332": "Pengemudi Truk",
    "8341": "Operator Alat Pertanian",
    "8342": "Operator Alat Berat",
    "9211": "Pekerja Kebun",
    "9313": "Pekerja Bangunan",
    "9329": "Pekerja Produksi",
    "9333": "Petugas Bongkar Muat",
}

# KBLI 2020 code -> (occupations it hires, share of women in its workforce).
SECTORS: dict[str, tuple[tuple[str, ...], float]] = {
    "0112": (("9211", "8341"), 0.35),  # pertanian padi
    "01262": (("9211", "8341", "8332"), 0.3),  # perkebunan kelapa sawit
    "01291": (("9211", "8341"), 0.35),  # perkebunan karet
    "03111": (("6223", "6222", "9333"), 0.03),  # penangkapan ikan di laut
    "05100": (("8111", "8342", "7233", "8332"), 0.06),  # pertambangan batu bara
    "0729": (("8111", "8342", "7233", "8332"), 0.08),  # bijih logam bukan besi (nikel)
    "10431": (("8160", "7233", "9329", "8332"), 0.2),  # minyak kelapa sawit (CPO)
    "10750": (("8160", "7512", "9329", "4321"), 0.55),  # makanan dan masakan olahan
    "13112": (("8151", "9329", "7233"), 0.7),  # pemintalan benang
    "14111": (("8153", "7531", "9329", "4110"), 0.8),  # pakaian jadi (konveksi)
    "15201": (("8156", "8153", "9329"), 0.75),  # alas kaki
    "24101": (("8121", "7212", "7233", "9329"), 0.08),  # besi dan baja dasar
    "29100": (("8211", "7212", "8121", "9329", "3115"), 0.15),  # kendaraan bermotor
    "29300": (("8211", "8121", "7233", "9329"), 0.3),  # suku cadang kendaraan
    "41011": (("7112", "7115", "9313", "7411"), 0.05),  # konstruksi gedung hunian
    "47111": (("5223", "5230", "4321", "5414"), 0.6),  # minimarket dan supermarket
    "49431": (("8332", "9333", "4110"), 0.1),  # angkutan barang umum
    "52101": (("4321", "9333", "8332", "4110"), 0.25),  # pergudangan
    "56101": (("5120", "5131", "5230"), 0.55),  # restoran
    "62019": (("2512", "3512", "4110"), 0.35),  # pemrograman komputer
    "86103": (("2221", "4226", "4110"), 0.7),  # rumah sakit swasta
}
# Agencies placing migrant workers abroad (P3MI) record the AKAN placements.
P3MI_KBLI = "78102"
HAZARDOUS = {"0729", "05100", "24101", "29100", "41011", "03111", "01262", "10431"}

# Kejuruan, SKKNI scheme, lesson hours (JP) and the occupation it trains for.
TRAINING_FIELDS: tuple[tuple[str, str, int, str], ...] = (
    ("Teknik Las", "Pengelasan SMAW Posisi 3G", 240, "7212"),
    ("Otomotif", "Servis Sepeda Motor Injeksi", 240, "7231"),
    ("Teknologi Informasi dan Komunikasi", "Junior Web Developer", 320, "2512"),
    ("Garmen Apparel", "Menjahit Pakaian dengan Mesin", 240, "8153"),
    ("Listrik", "Instalasi Penerangan Listrik Bangunan", 240, "7411"),
    ("Pariwisata", "Pembuatan Roti dan Kue", 160, "7512"),
    ("Bisnis dan Manajemen", "Administrasi Perkantoran", 160, "4110"),
    ("Refrigerasi", "Teknisi AC Residensial", 200, "7127"),
    ("Pertanian", "Budidaya Tanaman Pangan", 160, "9211"),
    ("Manufaktur", "Operator Mesin Produksi", 240, "8121"),
)
LSPS = ("LSP P1 {bpvp}", "LSP Kompetensi Kerja Nasional", "LSP Teknologi Digital", "LSP Industri")

EDUCATION: tuple[tuple[str, int, int], ...] = (  # level, weight, age at graduation
    ("SD", 6, 12),
    ("SMP", 12, 15),
    ("SMA", 28, 18),
    ("SMK", 30, 18),
    ("D3", 7, 21),
    ("D4", 2, 22),
    ("S1", 14, 22),
    ("S2", 1, 24),
)
MAJORS = {
    "SMA": ("IPA", "IPS"),
    "SMK": (
        "Teknik Kendaraan Ringan", "Teknik Pemesinan", "Akuntansi", "Tata Busana",
        "Teknik Komputer dan Jaringan", "Teknik Instalasi Tenaga Listrik",
        "Otomatisasi dan Tata Kelola Perkantoran",
    ),
    "higher": (
        "Manajemen", "Akuntansi", "Teknik Informatika", "Teknik Mesin", "Teknik Industri",
        "Keperawatan", "Hukum", "Agribisnis", "Teknik Sipil", "Ilmu Komunikasi",
    ),
}  # fmt: skip
SKILLS = (
    "Microsoft Office", "Mengemudi (SIM A)", "Mengemudi (SIM C)", "Bahasa Inggris",
    "Las SMAW", "Menjahit", "Pemrograman Web", "Akuntansi Dasar", "Servis Sepeda Motor",
    "Instalasi Listrik", "Operator Forklift", "Desain Grafis", "Bahasa Jepang",
)  # fmt: skip
INJURIES = {
    "recovered": (
        "Luka sayat pada tangan", "Terkilir saat mengangkat barang", "Luka bakar ringan",
        "Terpeleset di area kerja", "Mata terkena serpihan logam",
    ),
    "disability": (
        "Jari tangan terpotong mesin", "Patah tulang kaki tertimpa material",
        "Luka bakar berat", "Terjepit mesin produksi",
    ),
    "death": (
        "Terjatuh dari ketinggian", "Tersengat listrik", "Tertimpa alat berat",
        "Kecelakaan lalu lintas saat bertugas",
    ),
}  # fmt: skip
NORMS = (
    ("wages", 25),
    ("working_hours", 15),
    ("k3", 30),
    ("social_security", 25),
    ("child_labour", 2),
    ("other", 8),
)
DESTINATIONS = (("MY", 30), ("TW", 25), ("HK", 20), ("KR", 10), ("JP", 7), ("SA", 8))
JKM_DEATH_BENEFIT_IDR = 42_000_000  # santunan kematian JKM (PP 82/2019)
JKP_WAGE_CAP_IDR = 5_000_000  # PP 6/2025: JKP pays 60 % of wage up to this cap, 6 months
FEDERATIONS = ("KSPSI", "KSPI", "KSBSI", "FSPMI", "KSPN", "FSP KEP", None)
PROGRAM_NAMES = {
    "labour_intensive": "Padat Karya Infrastruktur",
    "self_employment": "Tenaga Kerja Mandiri",
    "other": "Perluasan Kesempatan Kerja",
}


# ----------------------------------------------------------------------------- records
@dataclass(frozen=True, slots=True)
class Entity:
    """One kind of record and where the gateway takes it."""

    key: str
    label: str
    path: str


ENTITIES: tuple[Entity, ...] = (
    Entity("companies", "companies", "/api/v1/inspection/companies"),
    Entity("inspections", "inspections", "/api/v1/inspection/inspections"),
    Entity("accidents", "accidents", "/api/v1/inspection/accidents"),
    Entity("job_seekers", "job seekers", "/api/v1/job-market/job-seekers"),
    Entity("vacancies", "vacancies", "/api/v1/job-market/vacancies"),
    Entity("placements", "placements", "/api/v1/job-market/placements"),
    Entity("programs", "training programs", "/api/v1/training/programs"),
    Entity("enrollments", "training enrolments", "/api/v1/training/enrollments"),
    Entity("memberships", "social-security memberships", "/api/v1/social-security/memberships"),
    Entity("claims", "social-security claims", "/api/v1/social-security/claims"),
    Entity("employment_programs", "employment programs", "/api/v1/job-market/employment-programs"),
    Entity(
        "program_beneficiaries",
        "program beneficiaries",
        "/api/v1/job-market/program-beneficiaries",
    ),
    Entity("layoffs", "layoff reports", "/api/v1/industrial-relations/layoffs"),
    Entity("disputes", "industrial disputes", "/api/v1/industrial-relations/disputes"),
    Entity("agreements", "PKB and PP registrations", "/api/v1/industrial-relations/agreements"),
    Entity("unions", "trade unions", "/api/v1/industrial-relations/unions"),
)
ENTITY = {e.key: e for e in ENTITIES}
# Each chain is loaded in order (a placement needs its job seeker, a claim its membership);
# the chains touch different services and run side by side.
CHAINS: tuple[tuple[str, ...], ...] = (
    ("job_seekers", "vacancies", "placements"),
    ("companies", "inspections", "accidents"),
    ("programs", "enrollments"),
    ("memberships", "claims"),
    ("employment_programs", "program_beneficiaries"),
    ("layoffs", "disputes", "agreements", "unions"),
)


@dataclass(frozen=True, slots=True)
class Write:
    """One upsert: which demo client sends which request body."""

    client_id: str
    body: dict[str, Any]

    @property
    def key(self) -> str:
        """The record's upsert key (companies are keyed by NIB)."""
        return str(self.body.get("external_id") or self.body["nib"])


@dataclass(frozen=True, slots=True)
class Window:
    """The twelve calendar months the demo covers: the year ending last month."""

    start: date

    @classmethod
    def ending_before(cls, today: date) -> Window:
        """The twelve months before ``today``'s month."""
        index = today.year * 12 + today.month - 1 - MONTHS
        return cls(date(index // 12, index % 12 + 1, 1))

    def month(self, index: int) -> date:
        """First day of month ``index`` (0 = the window's first month)."""
        absolute = self.start.year * 12 + self.start.month - 1 + index
        return date(absolute // 12, absolute % 12 + 1, 1)

    def day(self, index: int, day: int) -> date:
        """Day ``day`` (1 to 28) of month ``index``."""
        return self.month(index).replace(day=day)

    @property
    def end(self) -> date:
        """The window's last day."""
        return self.month(MONTHS) - timedelta(days=1)

    @property
    def periods(self) -> str:
        """The window as an indicators API period range, e.g. ``2025-11..2026-10``."""
        return f"{self.start:%Y-%m}..{self.end:%Y-%m}"

    def index_of(self, day: date) -> int:
        """Month index of ``day`` (may fall outside 0..11)."""
        return (day.year - self.start.year) * 12 + day.month - self.start.month


@dataclass
class DemoData:
    """Every generated record, per entity key, in the order it is generated."""

    window: Window
    records: dict[str, list[Write]]

    @property
    def total(self) -> int:
        """Number of writes."""
        return sum(len(writes) for writes in self.records.values())


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who appears in one or more domains, always with the same identity."""

    nik: str
    full_name: str
    birth_date: date
    sex: Sex

    def identity(self) -> dict[str, Any]:
        """The identity fields every person record carries."""
        return {
            "nik": self.nik,
            "full_name": self.full_name,
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex,
        }


@dataclass(slots=True)
class Company:
    """A workplace: registered with inspection, employer in vacancies and memberships."""

    nib: str
    name: str
    kbli: str
    region: str
    workers: int
    npp: str
    # Who works there, to pick accident victims: members and the placed workers.
    covered: list[tuple[Person, Membership]] = field(default_factory=list)
    placed: list[tuple[Person, date]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Membership:
    """A BPJS membership as generated (kept to link accidents and claims)."""

    external_id: str
    programs: tuple[str, ...]
    started_at: date
    ended_at: date | None
    wage: int

    def covers(self, day: date, program: str) -> bool:
        """Whether ``program`` covers ``day``."""
        return (
            program in self.programs
            and self.started_at <= day
            and (self.ended_at is None or day < self.ended_at)
        )


@dataclass(frozen=True, slots=True)
class Registration:
    """A job seeker still to register: when, where, and how likely to be placed."""

    person: Person
    region: str
    registered_at: date
    placement_chance: float
    desired_occupation: str | None = None


@dataclass(frozen=True, slots=True)
class Vacancy:
    """A generated vacancy (kept to match placements)."""

    external_id: str
    company: Company
    occupation: str
    posted_at: date


# ----------------------------------------------------------------------------- generator
def generate(
    *, seed: int = DEFAULT_SEED, scale: float = 1.0, today: date | None = None
) -> DemoData:
    """All demo records for the year ending last month; the same arguments give the same data."""
    if not scale > 0:
        raise ValueError(f"scale must be positive, not {scale}")
    return _Generator(
        seed=seed, scale=scale, window=Window.ending_before(today or date.today())
    ).run()


@functools.cache
def _valid_districts() -> tuple[dict[str, list[str]], list[str]]:
    """Districts per regency whose NIKs the platform accepts, and all of them."""
    # python-stdnum, which the services' NIK check uses, knows fewer regencies than the
    # Kemendagri table (newer provinces): a demo NIK must pass the services' check.
    regions = registry()
    per_regency: dict[str, list[str]] = {}
    birth = date(1990, 1, 1)
    for district, regency in sorted(regions.districts.items()):
        sample = nik_for(district=district, birth_date=birth, sex="M", serial=1)
        try:
            check_nik(sample, birth_date=birth, sex="M", regions=regions)
        except NikMismatch:
            continue
        per_regency.setdefault(regency, []).append(district)
    return per_regency, [d for districts in per_regency.values() for d in districts]


class _Generator:
    """Draws every record from one seeded random stream (and one seeded Faker)."""

    def __init__(self, *, seed: int, scale: float, window: Window) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
        self.fake = Faker("id_ID")
        self.fake.seed_instance(seed)
        self.scale = scale
        self.window = window
        self.districts, self.all_districts = _valid_districts()
        self.by_province: dict[str, list[str]] = {}
        for district in self.all_districts:
            self.by_province.setdefault(district[:2], []).append(district)
        self.records: dict[str, list[Write]] = {e.key: [] for e in ENTITIES}
        self.serials: Counter[tuple[str, date, Sex]] = Counter()
        self.numbers: set[str] = set()
        self.sequence: Counter[str] = Counter()
        self.companies: dict[str, list[Company]] = {}
        self.vacancies: dict[str, list[Vacancy]] = {}
        self.p3mi: dict[str, Company] = {}
        self.registrations: list[Registration] = []
        self.victims: set[str] = set()

    # ------------------------------------------------------------------ orchestration
    def run(self) -> DemoData:
        for region in PILOT_REGIONS:
            self._companies(region.code)
        for region in PILOT_REGIONS:
            self._workforce(region.code)
            self._training(region.code)
            self._vacancies(region.code)
            self._job_seekers(region.code)
            self._layoffs(region.code)
            self._industrial_relations(region.code)
        self._register_and_place()
        for region in PILOT_REGIONS:
            self._employment_programs(region.code)
        for region in PILOT_REGIONS:
            self._inspections(region.code)
            self._accidents(region.code)
        return DemoData(window=self.window, records=self.records)

    # ------------------------------------------------------------------ helpers
    def count(self, expected: float) -> int:
        """``expected`` scaled, rounded at random so that small regions still get some."""
        value = expected * self.scale
        whole = math.floor(value)
        return whole + (1 if self.rng.random() < value - whole else 0)

    def weighted(self, options: Sequence[tuple[T, int | float]]) -> T:
        return self.rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def external_id(self, prefix: str, region: str | None = None) -> str:
        scope = f"{prefix}-{region.replace('.', '')}" if region else prefix
        self.sequence[scope] += 1
        return f"DEMO-{scope}-{self.sequence[scope]:05d}"

    def digits(self, length: int, prefix: str = "") -> str:
        """A random number of ``length`` digits, unique within this data set."""
        while True:
            rest = length - len(prefix)
            number = prefix + f"{self.rng.randrange(10**rest):0{rest}d}"
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def add(self, entity: str, client_id: str, body: dict[str, Any]) -> None:
        self.records[entity].append(Write(client_id, body))

    def day_in(self, index: int, earliest: int = 1) -> date:
        return self.window.day(index, self.rng.randint(earliest, 28))

    def wage(self, region: str, low: float = 1.0, high: float = 1.4) -> int:
        value = PROFILES[region].min_wage_idr * self.rng.uniform(low, high)
        return round(value / 50_000) * 50_000

    def person(
        self, region: str, *, youngest: int = 18, oldest: int = 60, mode: int = 25
    ) -> Person:
        """A new person living in ``region``, aged ``youngest``..``oldest`` at the start."""
        sex: Sex = "F" if self.chance(0.45) else "M"
        age = self.rng.triangular(youngest, oldest, mode)
        birth = self.window.start - timedelta(days=round(age * 365.25))
        birth = birth.replace(day=min(birth.day, 28))
        # Most people were first registered (NIK) where they live now; some moved here.
        if self.chance(0.85):
            district = self.rng.choice(self.districts[region])
        elif self.chance(0.6):
            nearby = [d for d in self.by_province[region[:2]] if d[:5] != region]
            district = self.rng.choice(nearby or self.all_districts)
        else:
            district = self.rng.choice(self.all_districts)
        self.serials[(district, birth, sex)] += 1
        serial = self.serials[(district, birth, sex)]
        nik = nik_for(district=district, birth_date=birth, sex=sex, serial=serial)
        if sex == "F":
            given, family = self.fake.first_name_female(), self.fake.last_name_female()
        else:
            given, family = self.fake.first_name_male(), self.fake.last_name_male()
        # Many Indonesians carry a single name.
        name = given if self.chance(0.12) else f"{given} {family}"
        return Person(nik=nik, full_name=name, birth_date=birth, sex=sex)

    def regional_client(self, region: str) -> str:
        return f"disnaker-{region.replace('.', '')}"

    # ------------------------------------------------------------------ inspection: companies
    def _companies(self, region: str) -> None:
        profile = PROFILES[region]
        companies: list[Company] = []
        for _ in range(max(3, self.count(8 + 12 * profile.population_m))):
            kbli = self.weighted(profile.sectors)
            workers = min(20_000, max(5, round(self.rng.lognormvariate(math.log(80), 1.2))))
            companies.append(self._company(region, kbli, workers, self.fake.company()))
        self.companies[region] = companies
        self.p3mi[region] = self._company(
            region, P3MI_KBLI, self.rng.randint(12, 60), f"PT {self.fake.last_name()} (P3MI)"
        )

    def _company(self, region: str, kbli: str, workers: int, name: str) -> Company:
        prefix = self.rng.choice(("8120", "9120"))
        company = Company(
            nib=self.digits(13, prefix), name=name, kbli=kbli, region=region,
            workers=workers, npp=self.digits(8),
        )  # fmt: skip
        women = SECTORS[kbli][1] if kbli in SECTORS else 0.4
        female = round(workers * min(0.95, max(0.0, self.rng.gauss(women, 0.08))))
        large = workers >= 100
        body: dict[str, Any] = {
            "nib": company.nib,
            "name": name,
            "kbli_code": kbli,
            "kbli_version": "2020",
            "region_code": region,
            "workers_male": workers - female,
            "workers_female": female,
            "address": f"{self.fake.street_address()}, {registry().regencies[region].name}",
            "p2k3_committee": large and self.chance(0.85),
            "smk3_status": self.weighted(
                (("none", 30), ("initial", 40), ("transitional", 20), ("advanced", 10))
                if large
                else (("none", 90), ("initial", 10))
            ),
        }
        self.add("companies", self.regional_client(region), body)
        return company

    def employer(self, region: str, *, hazardous: bool = False) -> Company:
        """A company of the region, larger ones (and hazardous ones if asked) more often."""
        companies = self.companies[region]
        weights = [
            math.sqrt(c.workers) * (4 if hazardous and c.kbli in HAZARDOUS else 1)
            for c in companies
        ]
        return self.rng.choices(companies, weights=weights)[0]

    # ------------------------------------------------------------------ social security
    def programs(self) -> tuple[str, ...]:
        """JKK and JKM for every wage worker; JHT, JP and JKP for most."""
        chosen = ["JKK", "JKM"]
        if self.chance(0.92):
            chosen.append("JHT")
            if self.chance(0.7):
                chosen.append("JP")
                if self.chance(0.85):
                    chosen.append("JKP")
        return tuple(sorted(chosen))

    def membership(
        self,
        person: Person,
        company: Company,
        *,
        started_at: date,
        ended_at: date | None = None,
    ) -> Membership:
        membership = Membership(
            external_id=self.external_id("MBR"),
            programs=self.programs(),
            started_at=started_at,
            ended_at=ended_at,
            wage=self.wage(company.region, 1.0, 2.2),
        )
        body = person.identity() | {
            "external_id": membership.external_id,
            "employer_nib": company.nib,
            "region_code": company.region,
            "programs": list(membership.programs),
            "status": "inactive" if ended_at else "active",
            "started_at": started_at.isoformat(),
            "ended_at": ended_at.isoformat() if ended_at else None,
            "kpj_number": self.digits(11, "2"),
            "employer_npp": company.npp,
            "reported_wage_idr": membership.wage,
        }
        self.add("memberships", BPJS_CLIENT, body)
        company.covered.append((person, membership))
        return membership

    def claim(self, membership: Membership, program: str, claimed_at: date, amount: int) -> None:
        if claimed_at > self.window.end:
            return
        recent = (self.window.end - claimed_at).days < 30
        status = self.weighted(
            (("submitted", 50), ("approved", 45), ("rejected", 5))
            if recent
            else (("paid", 92), ("rejected", 5), ("approved", 3))
        )
        body = {
            "external_id": self.external_id("CLM"),
            "membership_external_id": membership.external_id,
            "program": program,
            "claimed_at": claimed_at.isoformat(),
            "amount_idr": amount,
            "status": status,
        }
        self.add("claims", BPJS_CLIENT, body)

    def _workforce(self, region: str) -> None:
        """Workers already employed (most members since before the year), some leaving."""
        for _ in range(self.count(12 + 48 * PROFILES[region].population_m)):
            company = self.employer(region)
            person = self.person(region, youngest=19, oldest=58, mode=33)
            if self.chance(0.7):
                started = self.window.start - timedelta(days=self.rng.randint(30, 8 * 365))
            else:
                started = self.day_in(self.rng.randrange(MONTHS))
            ended = None
            if self.chance(0.1):
                ended = started + timedelta(days=self.rng.randint(60, 720))
                ended = ended if self.window.start <= ended <= self.window.end else None
            membership = self.membership(person, company, started_at=started, ended_at=ended)
            if ended is not None:
                self._leaving_claims(membership, ended)

    def _leaving_claims(self, membership: Membership, ended: date) -> None:
        months = max(1, (ended - membership.started_at).days // 30)
        if "JHT" in membership.programs and self.chance(0.65):
            # 5.7 % of wage a month, plus yield: roughly what a leaver withdraws.
            saved = round(membership.wage * 0.057 * months * 1.05 / 1000) * 1000
            claimed = ended + timedelta(days=self.rng.randint(30, 75))
            self.claim(membership, "JHT", claimed, saved)
        if "JKP" in membership.programs and self.chance(0.5):
            benefit = round(0.6 * min(membership.wage, JKP_WAGE_CAP_IDR)) * 6
            self.claim(membership, "JKP", ended + timedelta(days=self.rng.randint(7, 45)), benefit)

    # ------------------------------------------------------------------ industrial relations
    def _layoffs(self, region: str) -> None:
        """Layoff reports of the region's employers, and what their workers do next: some
        register as job seekers (and some of those are placed), some claim JKP, some start
        with another employer."""
        client = self.regional_client(region)
        for _ in range(self.count(1 + 2.5 * PROFILES[region].population_m)):
            company = self.employer(region)
            effective = self.day_in(self.rng.randrange(MONTHS))
            reported = effective - timedelta(days=self.rng.randint(0, 30))
            reported = max(reported, self.window.start)
            size = min(400, max(1, round(self.rng.lognormvariate(math.log(8), 0.9))))
            reason = self.weighted(
                (("efficiency", 45), ("closure", 12), ("contract_end", 20), ("bankruptcy", 4),
                 ("force_majeure", 3), ("misconduct", 8), ("other", 8))
            )  # fmt: skip
            workers: list[Person] = []
            severance = 0
            for _ in range(size):
                person = self.person(region, youngest=20, oldest=55, mode=34)
                started = effective - timedelta(days=self.rng.randint(200, 9 * 365))
                membership = self.membership(
                    person, company, started_at=started, ended_at=effective
                )
                workers.append(person)
                years = (effective - started).days // 365
                severance += membership.wage * min(9, years + 1)
                self._after_layoff(person, region, company, membership, effective)
            body: dict[str, Any] = {
                "external_id": self.external_id("PHK", region),
                "employer_nib": company.nib,
                "region_code": region,
                "reported_at": reported.isoformat(),
                "effective_at": effective.isoformat(),
                "reason": reason,
                "workers": [w.identity() for w in workers],
                "severance_total_idr": None if reason == "misconduct" else severance,
            }
            self.add("layoffs", client, body)

    def _after_layoff(
        self, person: Person, region: str, company: Company, membership: Membership, day: date
    ) -> None:
        if self.chance(0.45):
            registered = day + timedelta(days=self.rng.randint(3, 100))
            if registered <= self.window.end:
                self.registrations.append(Registration(person, region, registered, 0.35))
        if "JKP" in membership.programs and self.chance(0.6):
            benefit = round(0.6 * min(membership.wage, JKP_WAGE_CAP_IDR)) * 6
            self.claim(membership, "JKP", day + timedelta(days=self.rng.randint(7, 60)), benefit)
        if self.chance(0.15):
            started = day + timedelta(days=self.rng.randint(20, 170))
            others = [c for c in self.companies[region] if c.nib != company.nib]
            if others and started <= self.window.end:
                self.membership(person, self.rng.choice(others), started_at=started)

    def _industrial_relations(self, region: str) -> None:
        """Disputes over the year; the PKB/PP registrations and unions of larger employers."""
        client = self.regional_client(region)
        for _ in range(self.count(2 + 5 * PROFILES[region].population_m)):
            company = self.employer(region)
            month = self.rng.randrange(MONTHS)
            registered = self.day_in(month)
            body: dict[str, Any] = {
                "external_id": self.external_id("PHI", region),
                "employer_nib": company.nib,
                "region_code": region,
                "registered_at": registered.isoformat(),
                "type": self.weighted(
                    (("rights", 40), ("termination", 45), ("interests", 12), ("inter_union", 3))
                ),
                "workers_involved": min(company.workers, self.rng.randint(1, 60)),
            }
            settled = registered + timedelta(days=self.rng.randint(10, 120))
            if settled > self.window.end or self.chance(0.2):
                body |= {"stage": self.weighted((("bipartite", 40), ("mediation", 60))),
                         "status": "open"}  # fmt: skip
            elif self.chance(0.1):
                body |= {"stage": "mediation", "status": "recommendation_issued"}
            elif self.chance(0.12):
                body |= {"stage": "court", "status": "decided", "settled_at": settled.isoformat(),
                         "settlement": "court_decision"}  # fmt: skip
            else:
                bipartite = self.chance(0.5)
                body |= {
                    "stage": "bipartite" if bipartite else "mediation",
                    "status": "settled",
                    "settled_at": settled.isoformat(),
                    "settlement": "joint_agreement"
                    if bipartite or self.chance(0.7)
                    else "recommendation",
                }
            self.add("disputes", client, body)
        for company in self.companies[region]:
            if company.workers >= 10 and self.chance(0.5):
                kind = "pkb" if company.workers >= 100 and self.chance(0.6) else "pp"
                registered = self.window.end - timedelta(days=self.rng.randint(0, 700))
                start = registered + timedelta(days=self.rng.randint(1, 30))
                until = start.replace(year=start.year + 2) - timedelta(days=1)
                self.add("agreements", client, {
                    "external_id": self.external_id(kind.upper(), region),
                    "employer_nib": company.nib,
                    "region_code": region,
                    "kind": kind,
                    "registered_at": registered.isoformat(),
                    "valid_from": start.isoformat(),
                    "valid_until": until.isoformat(),
                    "workers_covered": company.workers,
                })  # fmt: skip
            if company.workers >= 50 and self.chance(0.4):
                self.add("unions", client, {
                    "external_id": self.external_id("SP", region),
                    "name": f"PUK SP {company.name}",
                    "region_code": region,
                    "registered_at": (
                        self.window.end - timedelta(days=self.rng.randint(0, 3000))
                    ).isoformat(),
                    "members": round(company.workers * self.rng.uniform(0.2, 0.7)),
                    "employer_nib": company.nib,
                    "federation": self.rng.choice(FEDERATIONS),
                })  # fmt: skip

    # ------------------------------------------------------------------ employment programs
    def _employment_programs(self, region: str) -> None:
        """Padat karya and self-employment programs; their beneficiaries are partly the
        region's registered job seekers, partly people who never registered."""
        client = self.regional_client(region)
        seekers = [r for r in self.registrations if r.region == region]
        name = registry().regencies[region].name.title()
        for _ in range(self.count(1 + 2 * PROFILES[region].population_m)):
            kind = self.weighted((("labour_intensive", 60), ("self_employment", 35), ("other", 5)))
            start = self.day_in(self.rng.randrange(MONTHS))
            end = start + timedelta(days=self.rng.randint(20, 90))
            program = {
                "external_id": self.external_id("PK", region),
                "region_code": region,
                "kind": kind,
                "name": f"{PROGRAM_NAMES[kind]} {name}",
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "budget_idr": self.rng.randint(8, 90) * 25_000_000,
            }
            self.add("employment_programs", client, program)
            registered = [r.person for r in seekers if r.registered_at <= start]
            chosen: list[Person] = []
            for _ in range(self.rng.randint(8, 30)):
                if registered and self.chance(0.55):
                    person = self.rng.choice(registered)
                    if person in chosen:
                        continue
                else:
                    person = self.person(region, youngest=18, oldest=55, mode=30)
                chosen.append(person)
                joined = min(start + timedelta(days=self.rng.randint(0, 7)), end, self.window.end)
                self.add("program_beneficiaries", client, person.identity() | {
                    "external_id": self.external_id("PKB", region),
                    "program_external_id": program["external_id"],
                    "joined_at": joined.isoformat(),
                })  # fmt: skip

    # ------------------------------------------------------------------ training
    def _training(self, region: str) -> None:
        profile = PROFILES[region]
        client = self.regional_client(region)
        name = registry().regencies[region].name.title()
        for batch in range(1, self.count(2 + 3 * profile.population_m) + 1):
            kejuruan, scheme, hours, occupation = self.rng.choice(TRAINING_FIELDS)
            provider_type = self.weighted(
                (("BPVP", 35 if profile.bpvp else 0), ("BLK", 40), ("LPK", 18),
                 ("COMPANY", 5), ("OTHER", 2))
            )  # fmt: skip
            provider, funding = self._provider(region, provider_type)
            month = self.rng.randrange(MONTHS)
            start = self.day_in(month, earliest=8)
            end = start + timedelta(days=round(hours / 8 * 7 / 5))
            capacity = self.rng.choice((16, 16, 20, 24, 32))
            program = {
                "external_id": self.external_id("PRG", region),
                "name": f"{scheme} Angkatan {batch}",
                "provider_type": provider_type,
                "provider_name": provider,
                "vocational_field": kejuruan,
                "region_code": region,
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "capacity": capacity,
                "skkni_scheme": scheme,
                "hours": hours,
                "funding_source": funding,
            }
            self.add("programs", client, program)
            lsp = self.rng.choice(LSPS).format(bpvp=profile.bpvp or name)
            for _ in range(round(capacity * self.rng.uniform(0.75, 1.0))):
                self._enrolment(region, program, start, end, lsp, occupation)

    def _provider(self, region: str, provider_type: str) -> tuple[str, str]:
        """Name and funding source of a training provider of ``provider_type``."""
        if provider_type == "BPVP":
            return PROFILES[region].bpvp or "BPVP", "APBN"
        if provider_type == "BLK":
            name = registry().regencies[region].name.title()
            return f"UPTD BLK {name}", self.weighted((("APBD", 70), ("APBN", 30)))
        if provider_type == "LPK":
            return f"LPK {self.fake.last_name()} Mandiri", "OTHER"
        if provider_type == "COMPANY":
            return self.employer(region).name, "COMPANY"
        return f"Yayasan {self.fake.last_name()}", "OTHER"

    def _enrolment(
        self,
        region: str,
        program: dict[str, Any],
        start: date,
        end: date,
        lsp: str,
        occupation: str,
    ) -> None:
        scheme = program["skkni_scheme"]
        person = self.person(region, youngest=18, oldest=40, mode=21)
        enrolled = start - timedelta(days=self.rng.randint(0, 6))
        finished = end <= self.window.end
        status = self.weighted((("completed", 72), ("dropped_out", 28))) if finished else None
        certified = status == "completed" and self.chance(0.5)
        score = round(self.rng.uniform(76, 98) if certified else self.rng.uniform(55, 85), 1)
        body = person.identity() | {
            "external_id": self.external_id("ENR", region),
            "program_external_id": program["external_id"],
            "enrolled_at": enrolled.isoformat(),
            "status": status or "registered",
            "completed_at": end.isoformat() if status == "completed" else None,
            "certified": certified,
            "certificate_number": None,
            "certification_scheme": scheme if certified else None,
            "certificate_valid_until": None,
            "lsp_name": lsp if certified else None,
            "score": score if status == "completed" else None,
        }
        if certified:
            serial = self.digits(7)
            body["certificate_number"] = f"{program['hours']:03d}.{serial}.{end.year}"
            valid_until = date(end.year + 3, end.month, min(end.day, 28))
            body["certificate_valid_until"] = valid_until.isoformat()
        self.add("enrollments", self.regional_client(region), body)
        # Some graduates register at the Disnaker afterwards; they find work more often.
        if status == "completed" and self.chance(0.45):
            registered = end + timedelta(days=self.rng.randint(0, 45))
            if registered <= self.window.end:
                chance = 0.7 if certified else 0.5
                self.registrations.append(
                    Registration(person, region, registered, chance, occupation)
                )

    # ------------------------------------------------------------------ job market
    def _vacancies(self, region: str) -> None:
        client = self.regional_client(region)
        vacancies: list[Vacancy] = []
        for month in range(MONTHS):
            for _ in range(self.count(1 + 4 * PROFILES[region].population_m)):
                company = self.employer(region)
                occupation = self.rng.choice(SECTORS[company.kbli][0])
                posted = self.day_in(month)
                closes = posted + timedelta(days=self.rng.randint(14, 60))
                positions = self.weighted(
                    ((1, 25), (2, 20), (3, 15), (5, 15), (10, 12), (20, 8), (50, 5))
                )
                wage_min = self.wage(region, 1.0, 1.2)
                body: dict[str, Any] = {
                    "external_id": self.external_id("VAC", region),
                    "employer_nib": company.nib,
                    "employer_name": company.name,
                    "kbli_code": company.kbli,
                    "kbli_version": "2020",
                    "occupation_code": occupation,
                    "title": OCCUPATIONS[occupation],
                    "positions": positions,
                    "min_education": self.weighted(
                        (("SMP", 10), ("SMA", 25), ("SMK", 25), ("D3", 10), ("S1", 15), (None, 15))
                    ),
                    "wage_min_idr": wage_min,
                    "wage_max_idr": round(wage_min * self.rng.uniform(1.1, 1.6) / 50_000) * 50_000,
                    "region_code": region,
                    "posted_at": posted.isoformat(),
                    "closes_at": closes.isoformat(),
                    "source": self.weighted(
                        (("karirhub", 50), ("disnaker", 30), ("job_fair", 15), ("other", 5))
                    ),
                    "status": "closed" if closes < self.window.end else "open",
                }
                if positions > 1 and self.chance(0.25):
                    body["positions_male"] = self.rng.randint(0, positions)
                    body["positions_female"] = positions - body["positions_male"]
                self.add("vacancies", client, body)
                vacancies.append(Vacancy(body["external_id"], company, occupation, posted))
        self.vacancies[region] = vacancies

    def _job_seekers(self, region: str) -> None:
        for month in range(MONTHS):
            for _ in range(self.count(5 + 19 * PROFILES[region].population_m)):
                person = self.person(region, youngest=18, oldest=45, mode=22)
                wish = self.rng.choice(sorted(OCCUPATIONS)) if self.chance(0.7) else None
                self.registrations.append(
                    Registration(person, region, self.day_in(month), 0.3, wish)
                )

    def _register_and_place(self) -> None:
        """Write every registration, in date order, and place some of them."""
        self.registrations.sort(key=lambda r: (r.registered_at, r.region, r.person.nik))
        for registration in self.registrations:
            person, region, registered = (
                registration.person, registration.region, registration.registered_at
            )  # fmt: skip
            # Drawn for everyone, so a registration's fate does not depend on the others'.
            lag = self.weighted(((0, 20), (1, 35), (2, 25), (3, 12), (4, 5), (5, 3)))
            placed = self.chance(registration.placement_chance)
            month = self.window.index_of(registered) + lag
            placement_day = None
            if placed and month < MONTHS:
                earliest = min(registered.day, 28) if lag == 0 else 1
                day = self.window.day(month, self.rng.randint(earliest, 28))
                placement_day = max(day, registered)
            body = self._job_seeker(registration)
            body["status"] = "placed" if placement_day else "active"
            self.add("job_seekers", self.regional_client(region), body)
            if placement_day is not None:
                self._placement(person, region, placement_day)

    def _job_seeker(self, registration: Registration) -> dict[str, Any]:
        person, region = registration.person, registration.region
        registered = registration.registered_at
        level = self.weighted([(level, weight) for level, weight, _ in EDUCATION])
        graduated = person.birth_date.year + {e[0]: e[2] for e in EDUCATION}[level]
        majors = () if level in ("SD", "SMP") else MAJORS.get(level, MAJORS["higher"])
        external_id = self.external_id("JS", region)
        return person.identity() | {
            "external_id": external_id,
            "education_level": level,
            "region_code": region,
            "registered_at": registered.isoformat(),
            "ak1_number": f"AK1-{region.replace('.', '')}-{registered.year}-{external_id[-5:]}",
            "education_major": self.rng.choice(majors) if majors else None,
            "graduation_year": min(graduated, registered.year),
            "skills": self.rng.sample(SKILLS, self.rng.randint(0, 3)),
            "desired_occupation_code": registration.desired_occupation,
            "disability": self.chance(0.02),
        }

    def _placement(self, person: Person, region: str, placed_at: date) -> None:
        mechanism = self.weighted((("AKL", 85), ("AKAD", 10), ("AKAN", 5)))
        vacancy = None
        if mechanism == "AKL":
            month = self.window.index_of(placed_at)
            recent = [
                v
                for v in self.vacancies[region]
                if v.posted_at <= placed_at and self.window.index_of(v.posted_at) >= month - 2
            ]
            if recent and self.chance(0.8):
                vacancy = self.rng.choice(recent)
            company = vacancy.company if vacancy else self.employer(region)
        elif mechanism == "AKAD":
            elsewhere = [r.code for r in PILOT_REGIONS if r.code != region]
            company = self.employer(self.rng.choice(elsewhere))
        else:
            company = self.p3mi[region]
        if vacancy is not None:
            occupation = vacancy.occupation
        elif company.kbli in SECTORS:
            occupation = self.rng.choice(SECTORS[company.kbli][0])
        else:  # abroad: factory, care, construction and fishing jobs
            occupation = self.rng.choice(("9329", "5120", "7212", "6223"))
        body: dict[str, Any] = {
            "external_id": self.external_id("PL", region),
            "nik": person.nik,
            "employer_nib": company.nib,
            "employer_name": company.name,
            "placed_at": placed_at.isoformat(),
            "mechanism": mechanism,
            "region_code": region,
            "occupation_code": occupation,
            "vacancy_external_id": vacancy.external_id if vacancy else None,
            "destination_country": self.weighted(DESTINATIONS) if mechanism == "AKAN" else None,
            "wage_idr": (
                round(self.rng.uniform(7, 16)) * 1_000_000
                if mechanism == "AKAN"
                else self.wage(company.region, 1.0, 1.3)
            ),
        }
        self.add("placements", self.regional_client(region), body)
        if mechanism == "AKAN":
            return  # migrant workers are covered abroad, not by these memberships
        company.placed.append((person, placed_at))
        # Most employers register a new worker within the month, some late, some never.
        registers = self.chance(0.82)
        late = self.chance(0.28)
        lag = self.rng.randint(31, 120) if late else self.rng.randint(0, 30)
        started = placed_at + timedelta(days=lag)
        if registers and started <= self.window.end:
            self.membership(person, company, started_at=started)

    # ------------------------------------------------------------------ inspection
    def finding_status(self, month: int) -> str:
        age = MONTHS - 1 - month
        if age == 0:
            return self.weighted((("open", 55), ("notice_1", 45)))
        if age <= 2:
            return self.weighted(
                (("open", 10), ("notice_1", 40), ("notice_2", 20), ("resolved", 30))
            )
        return self.weighted(
            (("notice_1", 8), ("notice_2", 12), ("resolved", 72), ("prosecuted", 8))
        )

    def inspection(
        self, company: Company, inspected_at: date, kind: str, findings: list[dict[str, str]]
    ) -> None:
        body = {
            "external_id": self.external_id("INS", company.region),
            "company_nib": company.nib,
            "region_code": company.region,
            "inspected_at": inspected_at.isoformat(),
            "type": kind,
            "inspector_name": self.fake.name(),
            "findings": findings,
        }
        self.add("inspections", self.regional_client(company.region), body)

    def _inspections(self, region: str) -> None:
        companies = self.companies[region] + [self.p3mi[region]]
        for month in range(MONTHS):
            for _ in range(self.count(0.5 + 1.5 * PROFILES[region].population_m)):
                company = self.rng.choice(companies)
                findings = []
                if self.chance(0.45):
                    norms: list[str] = []
                    for _ in range(self.weighted(((1, 60), (2, 30), (3, 10)))):
                        norm = self.weighted(NORMS)
                        if norm not in norms:
                            norms.append(norm)
                    findings = [{"norm": n, "status": self.finding_status(month)} for n in norms]
                kind = self.weighted((("routine", 80), ("k3_test", 20)))
                self.inspection(company, self.day_in(month), kind, findings)

    def _accidents(self, region: str) -> None:
        for _ in range(self.count(2 + 4 * PROFILES[region].population_m)):
            company = self.employer(region, hazardous=True)
            occurred = self.day_in(self.rng.randrange(MONTHS))
            outcome = self.weighted((("recovered", 82), ("disability", 14), ("death", 4)))
            victims = [
                self._victim(company, occurred, outcome)
                for _ in range(self.weighted(((1, 85), (2, 10), (3, 5))))
            ]
            body = {
                "external_id": self.external_id("ACC", region),
                "company_nib": company.nib,
                "region_code": region,
                "occurred_at": occurred.isoformat(),
                "outcome": outcome,
                "lost_days": {
                    "recovered": self.rng.randint(2, 60),
                    "disability": self.rng.randint(30, 365),
                    "death": None,
                }[outcome],
                "injury": self.rng.choice(INJURIES[outcome]),
                "victims": [v.identity() for v in victims],
            }
            self.add("accidents", self.regional_client(region), body)
            # An accident is followed by a special inspection with a K3 finding.
            inspected = occurred + timedelta(days=self.rng.randint(3, 21))
            if self.chance(0.75) and inspected <= self.window.end:
                status = self.finding_status(self.window.index_of(inspected))
                self.inspection(company, inspected, "special", [{"norm": "k3", "status": status}])

    def _victim(self, company: Company, occurred: date, outcome: str) -> Person:
        """A worker of the company: a member covered by JKK, or someone uncovered."""
        covered = [
            (p, m)
            for p, m in company.covered
            if m.covers(occurred, "JKK") and p.nik not in self.victims
        ]
        uncovered = [
            p
            for p, placed_at in company.placed
            if placed_at <= occurred
            and p.nik not in self.victims
            and not any(m.covers(occurred, "JKK") for q, m in company.covered if q == p)
        ]
        pick_covered = self.chance(0.65)
        pick_placed = self.chance(0.5)
        if pick_covered and covered:
            person, membership = self.rng.choice(covered)
            self._accident_claims(membership, occurred, outcome)
        elif pick_placed and uncovered:
            person = self.rng.choice(uncovered)
        else:
            person = self.person(company.region, youngest=18, oldest=55, mode=30)
        self.victims.add(person.nik)
        return person

    def _accident_claims(self, membership: Membership, occurred: date, outcome: str) -> None:
        claimed = occurred + timedelta(days=self.rng.randint(2, 30))
        amount = {
            "recovered": self.rng.randint(2, 25) * 1_000_000,
            "disability": self.rng.randint(25, 150) * 1_000_000,
            "death": 48 * membership.wage,  # JKK death benefit: 48 times the reported wage
        }[outcome]
        self.claim(membership, "JKK", claimed, amount)
        if outcome == "death":
            self.claim(membership, "JKM", claimed, JKM_DEATH_BENEFIT_IDR)


# ----------------------------------------------------------------------------- reporting periods
REPORTING_DOMAINS: tuple[str, ...] = DOMAINS
"""The domains whose months the regions close (path segments of the reporting-period API)."""
OPEN_GAPS: dict[tuple[str, str], tuple[int, ...]] = {
    ("13.03", "training"): (3, 4),  # Kabupaten Sijunjung: two training months not closed
    ("82.04", "inspection"): (6, 7, 8),  # Halmahera Selatan: a quarter of inspections open
}
"""Older months (window indexes, 0 = the first) a region leaves open, per domain."""


@dataclass(frozen=True, slots=True)
class Closure:
    """One reporting period of the demo: which client closes which region's month."""

    client_id: str
    domain: str
    region_code: str
    period: str

    @property
    def path(self) -> str:
        """The period's ``complete`` resource."""
        return f"/api/v1/{self.domain}/reporting-periods/{self.period}/complete"


@dataclass(frozen=True)
class ReportingPlan:
    """The window's reporting periods of every pilot region and domain: closed or left open."""

    closed: list[Closure]
    open: list[Closure]


def reporting_plan(window: Window) -> ReportingPlan:
    """Which periods the demo closes and which it leaves open (see the module docstring)."""
    plan = ReportingPlan(closed=[], open=[])
    for position, region in enumerate(PILOT_REGIONS):
        regional = f"disnaker-{region.code.replace('.', '')}"
        for domain in REPORTING_DOMAINS:
            client_id = BPJS_CLIENT if domain == "social-security" else regional
            gaps = OPEN_GAPS.get((region.code, domain), ())
            for index in range(MONTHS):
                closure = Closure(client_id, domain, region.code, f"{window.month(index):%Y-%m}")
                left_open = index in gaps or (index == MONTHS - 1 and position % 2 == 1)
                (plan.open if left_open else plan.closed).append(closure)
    return plan


# ----------------------------------------------------------------------------- loader
class DemoLoadError(Exception):
    """Loading stopped: a record was refused (a bug to fix) or the platform stayed unreachable."""


@dataclass
class EntityCount:
    """How the services answered one entity's writes."""

    total: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class DemoSummary:
    """Counts per entity (created vs unchanged) and how long the load took."""

    entities: dict[str, EntityCount]
    seconds: float = 0.0
    window: str = ""
    periods_closed: int = 0
    """Reporting periods closed (or found closed) by the load."""
    periods_open: int = 0
    """Reporting periods of the window the load left open."""

    @property
    def total(self) -> int:
        return sum(c.total for c in self.entities.values())

    @property
    def created(self) -> int:
        return sum(c.created for c in self.entities.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.entities.values())

    @property
    def unchanged(self) -> int:
        return sum(c.unchanged for c in self.entities.values())


async def load_demo(
    gateway_url: str,
    clients_file: Path,
    *,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    progress: Callable[[str], None] = print,
    today: date | None = None,
) -> DemoSummary:
    """Generate the demo year and import it through the gateway; raise DemoLoadError on a
    refused record.

    ``today`` (default: the real date) fixes the window, the twelve months before its month.
    """
    started = time.monotonic()
    data = generate(seed=seed, scale=scale, today=today)
    credentials = _read_credentials(clients_file)
    summary = DemoSummary(
        entities={key: EntityCount(total=len(w)) for key, w in data.records.items()},
        window=data.window.periods,
    )
    progress(
        f"demo: writing {data.total} records for {len(PILOT_REGIONS)} pilot regions, "
        f"{data.window.periods} (seed {seed}, scale {scale:g})"
    )
    connections = len(CHAINS) * JOBS_IN_FLIGHT
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    # An upload's answer waits up to WAIT_SECONDS for its job, after the records are staged.
    timeout = httpx.Timeout(WAIT_SECONDS + 60.0, connect=10.0)
    async with httpx.AsyncClient(base_url=gateway_url, timeout=timeout, limits=limits) as http:
        writer = GatewayWriter(http, credentials)

        async def chain(keys: tuple[str, ...]) -> None:
            for key in keys:
                counts = summary.entities[key]
                await writer.write_all(ENTITY[key], data.records[key], counts)
                progress(f"demo: {ENTITY[key].label} {_describe(counts)}")

        await _all(chain(keys) for keys in CHAINS)
        plan = reporting_plan(data.window)
        await writer.close_all(plan.closed)
        summary.periods_closed, summary.periods_open = len(plan.closed), len(plan.open)
        progress(
            f"demo: closed {summary.periods_closed} reporting periods, "
            f"left {summary.periods_open} open"
        )
    summary.seconds = time.monotonic() - started
    progress(
        f"demo: done, {summary.total} records ({summary.created} new, "
        f"{summary.unchanged} unchanged, {summary.updated} updated) in {summary.seconds:.1f} s"
    )
    return summary


def _describe(counts: EntityCount) -> str:
    done = counts.created + counts.updated + counts.unchanged
    text = f"{done}/{counts.total} ({counts.created} new, {counts.unchanged} unchanged"
    return text + (f", {counts.updated} updated)" if counts.updated else ")")


def _read_credentials(clients_file: Path) -> dict[str, str]:
    entries = json.loads(clients_file.read_text())["clients"]
    credentials = {str(c["client_id"]): str(c["client_secret"]) for c in entries}
    needed = [f"disnaker-{r.code.replace('.', '')}" for r in PILOT_REGIONS] + [BPJS_CLIENT]
    missing = [c for c in needed if c not in credentials]
    if missing:
        raise DemoLoadError(f"{clients_file} lacks the demo clients {', '.join(missing)}")
    return credentials


async def _all(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """``asyncio.gather``, but the first failure cancels the rest instead of leaving them."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _jobs(writes: Iterable[Write]) -> list[tuple[str, list[Write]]]:
    """``writes`` grouped by client (an import job is its client's), in their order, and cut
    into jobs of at most ``BATCH`` records."""
    by_client: dict[str, list[Write]] = {}
    for write in writes:
        by_client.setdefault(write.client_id, []).append(write)
    return [
        (client_id, group[start : start + BATCH])
        for client_id, group in by_client.items()
        for start in range(0, len(group), BATCH)
    ]


class GatewayWriter:
    """Upserts through the gateway's import jobs: a token per client, retries on 5xx and 429.

    ``http`` has the gateway as its base URL; ``credentials`` maps client ids to secrets.
    """

    def __init__(self, http: httpx.AsyncClient, credentials: dict[str, str]) -> None:
        self.http = http
        self.credentials = credentials
        self.tokens: dict[str, str] = {}
        self.locks: dict[str, asyncio.Lock] = {c: asyncio.Lock() for c in credentials}

    async def write_all(self, entity: Entity, writes: list[Write], counts: EntityCount) -> None:
        """Upsert ``writes``, one import job per client (and ``BATCH`` records), counting what
        the jobs did in ``counts``; every job has finished when this returns."""
        slots = asyncio.Semaphore(JOBS_IN_FLIGHT)

        async def one(client_id: str, records: list[Write]) -> None:
            async with slots:
                summary = await self.import_job(entity, client_id, records)
            counts.created += summary["created"]
            counts.updated += summary["updated"]
            counts.unchanged += summary["unchanged"]

        await _all(one(client_id, records) for client_id, records in _jobs(writes))

    async def close_all(self, closures: Sequence[Closure]) -> None:
        """Close every period of ``closures``, ``CLOSES_IN_FLIGHT`` at a time."""
        slots = asyncio.Semaphore(CLOSES_IN_FLIGHT)

        async def one(closure: Closure) -> None:
            async with slots:
                await self.close_period(closure)

        await _all(one(closure) for closure in closures)

    async def close_period(self, closure: Closure) -> None:
        """Close one reporting period (closing a closed one changes nothing, so a retry is
        safe); any answer but the period complete is a DemoLoadError."""
        what = f"{closure.domain} {closure.period} of {closure.region_code} ({closure.client_id})"
        response = await self.request(
            closure.client_id,
            what,
            "POST",
            closure.path,
            headers={"Content-Type": "application/json"},
            content=json.dumps({"region_code": closure.region_code}).encode(),
        )
        if response.status_code != 200 or response.json().get("status") != "complete":
            raise DemoLoadError(
                f"{what}: POST {closure.path} answered {response.status_code}: {response.text}"
            )

    async def import_job(
        self, entity: Entity, client_id: str, writes: list[Write]
    ) -> dict[str, int]:
        """Upsert ``writes`` of ``client_id`` as one import job; its summary once it is done.

        The job must write every record: a rejected record, or a job that failed or was
        cancelled, is a DemoLoadError.
        """
        what = f"{entity.label} of {client_id} ({len(writes)} records)"
        path = f"{entity.path}/imports"
        response = await self.request(
            client_id,
            what,
            "POST",
            path,
            params={"atomic": "record"},
            headers={"Content-Type": "application/json", "Prefer": f"wait={WAIT_SECONDS}"},
            content=json.dumps([w.body for w in writes]).encode(),
        )
        if response.status_code not in (200, 202):
            raise DemoLoadError(
                f"{what}: POST {path} answered {response.status_code}, which is a bug in the "
                f"demo generator or the service.\nProblem: {response.text}"
            )
        job: dict[str, Any] = response.json()
        if job["status"] not in JOB_FINISHED:
            job = await self.finished(client_id, what, response.headers["location"])
        return _written(what, job, len(writes))

    async def finished(self, client_id: str, what: str, location: str) -> dict[str, Any]:
        """The import job at ``location`` once it has finished, asked with growing pauses."""
        pause = FIRST_POLL
        while True:
            await asyncio.sleep(pause)
            response = await self.request(client_id, what, "GET", location)
            if response.status_code != 200:
                raise DemoLoadError(
                    f"{what}: GET {location} answered {response.status_code}: {response.text}"
                )
            job: dict[str, Any] = response.json()
            if job["status"] in JOB_FINISHED:
                return job
            pause = min(pause * 2, MAX_POLL)

    async def request(
        self,
        client_id: str,
        what: str,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send as ``client_id``, retried as :meth:`send` does; once more with a new token if
        the gateway says the token expired (401) during a long load."""

        async def attempt() -> tuple[str, httpx.Response]:
            token = await self.token(client_id)
            send = functools.partial(
                self.http.request,
                method,
                url,
                params=params,
                headers={**(headers or {}), "Authorization": f"Bearer {token}"},
                content=content,
            )
            return token, await self.send(what, send)

        token, response = await attempt()
        if response.status_code == 401:
            if self.tokens.get(client_id) == token:  # not renewed yet by another request
                del self.tokens[client_id]
            _, response = await attempt()
        return response

    async def token(self, client_id: str) -> str:
        """A bearer token of ``client_id`` from the token endpoint, fetched once."""
        async with self.locks[client_id]:
            if client_id not in self.tokens:
                form = {
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": self.credentials[client_id],
                }
                send = functools.partial(self.http.post, "/oauth/token", data=form)
                response = await self.send(f"token for {client_id}", send)
                if response.status_code != 200:
                    raise DemoLoadError(
                        f"the gateway refused {client_id}'s credentials "
                        f"({response.status_code}): {response.text}"
                    )
                self.tokens[client_id] = str(response.json()["access_token"])
            return self.tokens[client_id]

    async def send(
        self, what: str, request: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response:
        """Send, retrying with backoff on 5xx and connection errors (imports are upserts),
        and after the gateway's ``Retry-After`` when a client's quota is spent (429)."""
        delay = FIRST_BACKOFF
        for attempt in range(1, ATTEMPTS + 1):
            wait = delay
            try:
                response = await request()
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 429:
                    wait = _retry_after(response, default=delay)
                elif response.status_code < 500:
                    return response
                last = f"{response.status_code}: {response.text[:500]}"
            if attempt < ATTEMPTS:
                await asyncio.sleep(wait)
                delay = min(delay * 2, MAX_BACKOFF)
        raise DemoLoadError(f"{what}: no answer after {ATTEMPTS} attempts; last: {last}")


def _written(what: str, job: dict[str, Any], records: int) -> dict[str, int]:
    """The summary of a finished import job that wrote all ``records``; else DemoLoadError."""
    summary: dict[str, int] = job["summary"]
    name = f"import job {job['id']}"
    if job["status"] != "done":
        reason = job.get("error") or "no reason given"
        raise DemoLoadError(f"{what}: {name} ended {job['status']}: {reason}")
    if summary["rejected"]:
        # The first conflicts, as the job lists them: where and why, never a value (a NIK).
        conflicts: list[dict[str, Any]] = job["conflicts"]
        shown = [
            f"  record {c['index']} ({c['external_id']}): {c['field'] or c['pointer']}: "
            f"{c['code']}: {c['detail']}"
            for c in conflicts[:CONFLICTS_SHOWN]
        ]
        if len(conflicts) > len(shown):
            shown.append("  ... and more (all of them at the job's /conflicts)")
        raise DemoLoadError(
            f"{what}: {name} rejected {summary['rejected']} records, which is a bug in the "
            "demo generator or the service:\n" + "\n".join(shown)
        )
    written = summary["created"] + summary["updated"] + summary["unchanged"]
    if written != records:
        raise DemoLoadError(f"{what}: {name} wrote {written} of {records} records: {summary}")
    return summary


def _retry_after(response: httpx.Response, *, default: float) -> float:
    """The seconds a 429 asks to wait (at most a minute, the quota's window)."""
    value = response.headers.get("retry-after", "")
    return min(float(value), 60.0) if value.isdigit() else default


# ----------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    """``python -m sinergi_local.demo``: load the demo year into a running platform."""
    parser = argparse.ArgumentParser(
        prog="python -m sinergi_local.demo",
        description="Write a year of demo records for the pilot regions through the gateway.",
    )
    parser.add_argument("--gateway", help="gateway URL (default: the one in the clients file)")
    parser.add_argument(
        "--clients", type=Path, default=Path(".local/demo-clients.json"), help="demo-clients.json"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--scale", type=float, default=1.0, help="volume factor (default 1)")
    args = parser.parse_args(argv)
    gateway = args.gateway or json.loads(args.clients.read_text())["gateway"]
    try:
        asyncio.run(load_demo(gateway, args.clients, seed=args.seed, scale=args.scale))
    except DemoLoadError as exc:
        print(f"demo: failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
