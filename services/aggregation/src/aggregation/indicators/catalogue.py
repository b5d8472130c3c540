"""The indicator catalogue, as data: what each indicator means and how it is computed.

DHIS2-style: every indicator has a stable ``code``, Indonesian and English names and
definitions, a unit, the domain it belongs to, and a formula over base measures (see
``measures``). Adding an indicator is adding an entry here (and, for a new kind of data, a
measure and the projection it reads); the API, the validation of ``indicator=`` and the
catalogue endpoint follow from this list.

Values are per reporting area (regency, province = sum of its regencies, nation) and calendar
month. A ratio is computed from the area's summed numerator and denominator; its value is
``null`` when the denominator is 0, because a rate of nothing is undefined, not zero. The one
stock, ``ss_active_members``, counts distinct persons per area (see its definition).

The definitions are the contract with the people who read the numbers: each states which
records count, by which date they fall in a month and by which record's region they fall in a
regency, and, for the cross-domain indicators, the exact window of the link.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from aggregation.cube.cells import DIMENSIONS
from aggregation.cube.measures import cube_measure
from aggregation.indicators.areas import Number
from aggregation.indicators.measures import (
    ACCIDENT_DEATHS,
    ACCIDENTS_OCCURRED,
    ACTIVE_MEMBERS,
    AGREEMENT_WORKERS,
    BENEFICIARIES_REGISTERED,
    CERTIFICATIONS,
    CLAIMS_AMOUNT_GRANTED,
    CLAIMS_MADE,
    COMPLETIONS,
    DISPUTES_REGISTERED,
    DISPUTES_SETTLED,
    DISPUTES_SETTLED_JOINT,
    ENROLLMENTS_MADE,
    GRADUATES_PLACED,
    INSPECTIONS_CONDUCTED,
    JOB_SEEKERS_REGISTERED,
    LAID_OFF_CLAIMED_JKP,
    LAID_OFF_REEMPLOYED,
    LAID_OFF_REGISTERED,
    LAYOFFS_REPORTED,
    MEMBERSHIPS_STARTED,
    PLACEMENTS_COVERED,
    PLACEMENTS_MADE,
    POSITIONS_OFFERED,
    PROGRAM_BENEFICIARIES,
    UNION_MEMBERS,
    VACANCIES_POSTED,
    VICTIMS_WITHOUT_JKK,
    VIOLATIONS_FOUND,
    VIOLATIONS_RESOLVED,
    WORKERS_LAID_OFF,
    Measure,
)

JOB_MARKET = "job_market"
TRAINING = "training"
INSPECTION = "inspection"
SOCIAL_SECURITY = "social_security"
INDUSTRIAL_RELATIONS = "industrial_relations"
# Indicators that join one person's records across domains by ``person_ref``.
CROSS_DOMAIN = "cross_domain"


Column = Callable[[Measure], Sequence[Number]]
"""Each measure's totals for a run of cells (one area's periods and breakdowns), in order."""


class Formula(Protocol):
    """How an indicator's values follow from its measures' totals for one area, period and
    breakdown; computed a run of cells at a time (an answer holds thousands)."""

    @property
    def measures(self) -> tuple[Measure, ...]:
        """The measures the formula reads."""
        ...

    def values(self, totals: Column) -> Sequence[Number | None]:
        """The indicator's value for each cell, given each measure's totals for the cells."""
        ...


@dataclass(frozen=True, eq=False)
class Total:
    """The measure's total for the area and month."""

    measure: Measure

    @property
    def measures(self) -> tuple[Measure, ...]:
        """The one measure."""
        return (self.measure,)

    def values(self, totals: Column) -> Sequence[Number]:
        """The totals themselves."""
        return totals(self.measure)


@dataclass(frozen=True, eq=False)
class Ratio:
    """Numerator total over denominator total; None when the denominator is 0."""

    numerator: Measure
    denominator: Measure

    @property
    def measures(self) -> tuple[Measure, ...]:
        """Numerator and denominator."""
        return (self.numerator, self.denominator)

    def values(self, totals: Column) -> list[float | None]:
        """The ratios, None for an empty denominator."""
        return [
            None if denominator == 0 else numerator / denominator
            for numerator, denominator in zip(
                totals(self.numerator), totals(self.denominator), strict=True
            )
        ]


@dataclass(frozen=True, eq=False)
class ReportingRate:
    """Reports received (``on_time``: closed on time) over reports expected, from the
    reporting tables rather than the cube (``reporting``)."""

    on_time: bool

    @property
    def measures(self) -> tuple[Measure, ...]:
        """None: the value comes from the reports, not from measures."""
        return ()

    def values(self, totals: Column) -> Sequence[Number | None]:
        """Not computed from measures (see ``reporting.Reports.rate``)."""
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class Indicator:
    """One catalogue entry."""

    code: str
    name_id: str
    name_en: str
    definition_id: str
    definition_en: str
    unit: str
    domain: str
    formula: Formula
    min_count: int = 5
    """The smallest count of people or records shown to readers without exact read: counts
    from 1 to ``min_count - 1`` are suppressed (``protection``)."""


CATALOGUE: tuple[Indicator, ...] = (
    Indicator(
        code="job_seekers_registered",
        name_id="Pencari kerja terdaftar",
        name_en="Job seekers registered",
        definition_id=(
            "Jumlah pencari kerja (pemegang kartu AK/I) yang tanggal pendaftarannya jatuh pada "
            "bulan tersebut, menurut kabupaten/kota tempat mendaftar. Koreksi data (wilayah, "
            "tanggal atau status) memindahkan hitungan, tidak menambahnya."
        ),
        definition_en=(
            "Number of job seekers (AK/I card holders) whose registration date falls in the "
            "month, by the regency where they registered. A corrected record (region, date or "
            "status) moves the count; it is never counted twice."
        ),
        unit="persons",
        domain=JOB_MARKET,
        formula=Total(JOB_SEEKERS_REGISTERED),
    ),
    Indicator(
        code="vacancies_posted",
        name_id="Lowongan kerja yang diumumkan",
        name_en="Vacancies posted",
        definition_id=(
            "Jumlah lowongan kerja yang tanggal pengumumannya jatuh pada bulan tersebut, "
            "menurut kabupaten/kota lowongan, apa pun statusnya kini (dibuka atau ditutup)."
        ),
        definition_en=(
            "Number of vacancies whose posting date falls in the month, by the vacancy's "
            "regency, whatever their current status (open or closed)."
        ),
        unit="vacancies",
        domain=JOB_MARKET,
        formula=Total(VACANCIES_POSTED),
    ),
    Indicator(
        code="positions_offered",
        name_id="Formasi kerja yang ditawarkan",
        name_en="Positions offered",
        definition_id=(
            "Jumlah formasi (orang yang dibutuhkan) dari lowongan yang diumumkan pada bulan "
            "tersebut, menurut kabupaten/kota lowongan."
        ),
        definition_en=(
            "Sum of the positions (people wanted) of the vacancies posted in the month, by the "
            "vacancy's regency."
        ),
        unit="positions",
        domain=JOB_MARKET,
        formula=Total(POSITIONS_OFFERED),
    ),
    Indicator(
        code="placements",
        name_id="Penempatan tenaga kerja",
        name_en="Placements",
        definition_id=(
            "Jumlah penempatan pencari kerja dengan tanggal penempatan pada bulan tersebut, "
            "menurut kabupaten/kota yang mencatatnya, semua mekanisme (AKL, AKAD, AKAN)."
        ),
        definition_en=(
            "Number of job seekers' placements whose placement date falls in the month, by the "
            "regency that recorded them, all mechanisms (AKL local, AKAD between regions, AKAN "
            "abroad)."
        ),
        unit="placements",
        domain=JOB_MARKET,
        formula=Total(PLACEMENTS_MADE),
    ),
    Indicator(
        code="placement_rate",
        name_id="Rasio penempatan",
        name_en="Placement rate",
        definition_id=(
            "Penempatan dibagi pencari kerja terdaftar, pada wilayah dan bulan yang sama "
            "(rasio, bukan persen). Untuk provinsi dan nasional dihitung dari jumlah pembilang "
            "dan penyebut. Bisa melebihi 1 karena orang yang ditempatkan dapat terdaftar pada "
            "bulan sebelumnya. Bernilai null bila tidak ada pencari kerja terdaftar (penyebut 0)."
        ),
        definition_en=(
            "Placements divided by job seekers registered, same region and month (a ratio, "
            "not a percentage). For a province or the nation it is computed from the summed "
            "numerator and denominator. It can exceed 1 because people placed may have "
            "registered in earlier months. The value is null when no job seeker registered "
            "(denominator 0)."
        ),
        unit="ratio",
        domain=JOB_MARKET,
        formula=Ratio(numerator=PLACEMENTS_MADE, denominator=JOB_SEEKERS_REGISTERED),
    ),
    Indicator(
        code="training_enrollments",
        name_id="Pendaftaran peserta pelatihan kerja",
        name_en="Training enrolments",
        definition_id=(
            "Jumlah pendaftaran peserta pelatihan kerja yang tanggal pendaftarannya jatuh pada "
            "bulan tersebut, menurut kabupaten/kota program pelatihan, apa pun statusnya kini "
            "(terdaftar, lulus atau keluar). Orang yang terdaftar di dua program dihitung dua "
            "kali. Koreksi data (wilayah program, tanggal atau status) memindahkan hitungan, "
            "tidak menambahnya."
        ),
        definition_en=(
            "Number of enrolments in job-training programs whose enrolment date falls in the "
            "month, by the training program's regency, whatever their current status "
            "(registered, completed or dropped out). A person enrolled in two programs counts "
            "twice. A correction (the program's region, a date or the status) moves the count; "
            "it is never counted twice."
        ),
        unit="enrolments",
        domain=TRAINING,
        formula=Total(ENROLLMENTS_MADE),
    ),
    Indicator(
        code="training_completions",
        name_id="Peserta lulus pelatihan kerja",
        name_en="Training completions",
        definition_id=(
            "Jumlah pendaftaran pelatihan berstatus lulus (completed) yang tanggal kelulusannya "
            "jatuh pada bulan tersebut, menurut kabupaten/kota program pelatihan. Pendaftaran "
            "yang dikoreksi menjadi tidak lulus, atau ke tanggal kelulusan lain, keluar dari "
            "bulan tersebut."
        ),
        definition_en=(
            "Number of training enrolments with status completed whose completion date falls "
            "in the month, by the training program's regency. An enrolment corrected to another "
            "status, or to another completion date, leaves the month."
        ),
        unit="completions",
        domain=TRAINING,
        formula=Total(COMPLETIONS),
    ),
    Indicator(
        code="training_certifications",
        name_id="Peserta pelatihan tersertifikasi",
        name_en="Training certifications",
        definition_id=(
            "Jumlah pendaftaran pelatihan berstatus lulus yang memperoleh sertifikat "
            "kompetensi BNSP, dihitung pada bulan tanggal kelulusannya (bukan tanggal "
            "sertifikat), menurut kabupaten/kota program pelatihan."
        ),
        definition_en=(
            "Number of completed training enrolments that obtained a BNSP certificate of "
            "competence, counted in the month of their completion date (not of the "
            "certificate), by the training program's regency."
        ),
        unit="certifications",
        domain=TRAINING,
        formula=Total(CERTIFICATIONS),
    ),
    Indicator(
        code="certification_rate",
        name_id="Rasio sertifikasi pelatihan",
        name_en="Certification rate",
        definition_id=(
            "Peserta tersertifikasi dibagi peserta lulus pelatihan, pada wilayah program dan "
            "bulan kelulusan yang sama (rasio 0 sampai 1, bukan persen). Untuk provinsi dan "
            "nasional dihitung dari jumlah pembilang dan penyebut. Bernilai null bila tidak ada "
            "peserta yang lulus (penyebut 0)."
        ),
        definition_en=(
            "Training certifications divided by training completions, same program region and "
            "completion month (a ratio from 0 to 1, not a percentage). For a province or the "
            "nation it is computed from the summed numerator and denominator. The value is null "
            "when no enrolment was completed (denominator 0)."
        ),
        unit="ratio",
        domain=TRAINING,
        formula=Ratio(numerator=CERTIFICATIONS, denominator=COMPLETIONS),
    ),
    Indicator(
        code="inspections_conducted",
        name_id="Pemeriksaan ketenagakerjaan",
        name_en="Inspections conducted",
        definition_id=(
            "Jumlah pemeriksaan pengawas ketenagakerjaan (rutin, khusus dan pengujian K3) yang "
            "tanggal pemeriksaannya jatuh pada bulan tersebut, menurut kabupaten/kota yang "
            "tercatat pada pemeriksaan."
        ),
        definition_en=(
            "Number of labour inspections (routine, special and K3 tests) whose inspection date "
            "falls in the month, by the regency recorded on the inspection."
        ),
        unit="inspections",
        domain=INSPECTION,
        formula=Total(INSPECTIONS_CONDUCTED),
    ),
    Indicator(
        code="violations_found",
        name_id="Pelanggaran norma ditemukan",
        name_en="Violations found",
        definition_id=(
            "Jumlah temuan pelanggaran norma ketenagakerjaan (upah, waktu kerja, K3, jaminan "
            "sosial, pekerja anak, lainnya) dari pemeriksaan yang dilakukan pada bulan "
            "tersebut, apa pun statusnya, menurut kabupaten/kota pemeriksaan. Temuan dihitung "
            "pada bulan pemeriksaannya; pemeriksaan tanpa temuan menambah 0."
        ),
        definition_en=(
            "Number of findings (violations of a labour norm: wages, working hours, K3, social "
            "security, child labour, other) of the inspections conducted in the month, whatever "
            "their status, by the inspection's regency. A finding counts in the month of its "
            "inspection; an inspection without findings adds 0."
        ),
        unit="violations",
        domain=INSPECTION,
        formula=Total(VIOLATIONS_FOUND),
    ),
    Indicator(
        code="violations_resolved",
        name_id="Pelanggaran norma diselesaikan",
        name_en="Violations resolved",
        definition_id=(
            "Jumlah temuan pelanggaran dari pemeriksaan yang dilakukan pada bulan tersebut yang "
            "status terkininya selesai (resolved), menurut kabupaten/kota pemeriksaan. Yang "
            "dipakai adalah status saat ini, bukan status pada akhir bulan: temuan yang "
            "diselesaikan kemudian menaikkan nilai bulan pemeriksaannya."
        ),
        definition_en=(
            "Number of findings of the inspections conducted in the month whose current status "
            "is resolved, by the inspection's regency. It is the status now, not at the end of "
            "the month: a finding resolved later raises the value of its inspection's month."
        ),
        unit="violations",
        domain=INSPECTION,
        formula=Total(VIOLATIONS_RESOLVED),
    ),
    Indicator(
        code="workplace_accidents",
        name_id="Kecelakaan kerja",
        name_en="Workplace accidents",
        definition_id=(
            "Jumlah kecelakaan kerja yang tanggal kejadiannya jatuh pada bulan tersebut, "
            "menurut kabupaten/kota yang tercatat pada laporan kecelakaan, apa pun akibatnya."
        ),
        definition_en=(
            "Number of workplace accidents whose date falls in the month, by the regency "
            "recorded on the accident report, whatever their outcome."
        ),
        unit="accidents",
        domain=INSPECTION,
        formula=Total(ACCIDENTS_OCCURRED),
    ),
    Indicator(
        code="accident_deaths",
        name_id="Korban meninggal kecelakaan kerja",
        name_en="Workplace accident deaths",
        definition_id=(
            "Jumlah korban kecelakaan kerja yang terjadi pada bulan tersebut dengan akibat "
            "meninggal dunia, menurut kabupaten/kota kecelakaan. Akibat dicatat per kecelakaan, "
            "sehingga setiap korban kecelakaan yang berakibat meninggal dihitung."
        ),
        definition_en=(
            "Number of victims of the workplace accidents of the month whose outcome is death, "
            "by the accident's regency. The outcome is recorded per accident, so every victim "
            "of an accident with outcome death counts."
        ),
        unit="persons",
        domain=INSPECTION,
        formula=Total(ACCIDENT_DEATHS),
    ),
    Indicator(
        code="ss_active_members",
        name_id="Peserta aktif BPJS Ketenagakerjaan",
        name_en="Active social-security members",
        definition_id=(
            "Stok pada akhir bulan: jumlah orang berbeda (person_ref) yang memiliki kepesertaan "
            "BPJS Ketenagakerjaan yang mencakup hari terakhir bulan tersebut (tanggal mulai pada "
            "atau sebelum hari itu, dan tanggal berakhir, yaitu hari pertama yang tidak lagi "
            "dicakup, kosong atau sesudah hari itu), program apa pun, menurut kabupaten/kota "
            "kepesertaan. Setiap orang dihitung sekali per wilayah: orang dengan kepesertaan di "
            "dua kabupaten/kota dihitung di masing-masing kabupaten/kota itu, tetapi sekali di "
            "provinsi yang memuat keduanya dan sekali secara nasional, sehingga nilai provinsi "
            "bisa lebih kecil dari jumlah nilai kabupaten/kotanya."
        ),
        definition_en=(
            "Stock at month end: number of distinct persons (person_ref) with a BPJS "
            "Ketenagakerjaan membership covering the last day of the month (started on or "
            "before that day, and its end date, the first day no longer covered, empty or "
            "after that day), any program, by the membership's regency. Each person counts "
            "once per area: a person with memberships in two regencies counts in each of those "
            "regencies but once in a province containing both and once in the nation, so a "
            "province's value can be less than the sum of its regencies' values."
        ),
        unit="persons",
        domain=SOCIAL_SECURITY,
        formula=Total(ACTIVE_MEMBERS),
    ),
    Indicator(
        code="ss_new_members",
        name_id="Kepesertaan baru BPJS Ketenagakerjaan",
        name_en="New social-security memberships",
        definition_id=(
            "Jumlah kepesertaan BPJS Ketenagakerjaan yang tanggal mulainya jatuh pada bulan "
            "tersebut, menurut kabupaten/kota kepesertaan. Orang yang memulai dua kepesertaan "
            "(dua pemberi kerja) pada bulan itu dihitung dua kali."
        ),
        definition_en=(
            "Number of BPJS Ketenagakerjaan memberships whose start date falls in the month, by "
            "the membership's regency. A person starting two memberships (two employers) in the "
            "month counts twice."
        ),
        unit="memberships",
        domain=SOCIAL_SECURITY,
        formula=Total(MEMBERSHIPS_STARTED),
    ),
    Indicator(
        code="ss_claims",
        name_id="Klaim jaminan sosial ketenagakerjaan",
        name_en="Social-security claims",
        definition_id=(
            "Jumlah klaim manfaat (semua program, semua status: diajukan, disetujui, dibayar, "
            "ditolak) yang tanggal klaimnya jatuh pada bulan tersebut, menurut kabupaten/kota "
            "kepesertaan yang diklaim."
        ),
        definition_en=(
            "Number of benefit claims (all programs, all statuses: submitted, approved, paid, "
            "rejected) whose claim date falls in the month, by the regency of the claimed "
            "membership."
        ),
        unit="claims",
        domain=SOCIAL_SECURITY,
        formula=Total(CLAIMS_MADE),
    ),
    Indicator(
        code="ss_claims_amount_idr",
        name_id="Nilai klaim disetujui atau dibayar (Rp)",
        name_en="Amount of approved or paid claims (IDR)",
        definition_id=(
            "Jumlah nilai (rupiah) klaim yang tanggal klaimnya jatuh pada bulan tersebut dan "
            "status terkininya disetujui (approved) atau dibayar (paid), menurut kabupaten/kota "
            "kepesertaan. Klaim yang diajukan (submitted) atau ditolak (rejected) tidak "
            "dijumlahkan; klaim yang disetujui kemudian menaikkan nilai bulan klaimnya."
        ),
        definition_en=(
            "Sum in rupiah of the amounts of the claims dated in the month whose current status "
            "is approved or paid, by the membership's regency. Submitted and rejected claims "
            "are left out; a claim approved later raises the value of its claim month."
        ),
        unit="IDR",
        domain=SOCIAL_SECURITY,
        formula=Total(CLAIMS_AMOUNT_GRANTED),
    ),
    Indicator(
        code="placements_with_social_security_rate",
        name_id="Rasio penempatan dengan jaminan sosial",
        name_en="Placements with social security, rate",
        definition_id=(
            "Bagian penempatan pada bulan tersebut (tanggal penempatan pada bulan itu, menurut "
            "kabupaten/kota penempatan) yang pekerjanya (person_ref sama) memiliki kepesertaan "
            "BPJS Ketenagakerjaan, program dan wilayah apa pun, yang mencakup sedikitnya satu "
            "hari dari tanggal penempatan sampai 30 hari sesudahnya (keduanya termasuk): "
            "kepesertaan mulai pada atau sebelum tanggal penempatan + 30 hari, dan tanggal "
            "berakhirnya (hari pertama yang tidak dicakup) kosong atau sesudah tanggal "
            "penempatan. Rasio 0 sampai 1; untuk provinsi dan nasional dihitung dari jumlah "
            "pembilang dan penyebut; null bila tidak ada penempatan. Dihitung saat dibaca: "
            "kepesertaan yang tercatat belakangan menaikkan nilai bulan penempatannya."
        ),
        definition_en=(
            "Share of the month's placements (placement date in the month, by the placement's "
            "regency) whose worker (same person_ref) has a BPJS Ketenagakerjaan membership, of "
            "any program and any region, covering at least one day from the placement date to "
            "30 days after it, both inclusive: the membership started on or before the "
            "placement date + 30 days, and its end date (the first day no longer covered) is "
            "empty or after the placement date. A ratio from 0 to 1; for a province or the "
            "nation computed from the summed numerator and denominator; null when there was no "
            "placement. Computed when read: a membership recorded later raises the value of "
            "its placement's month."
        ),
        unit="ratio",
        domain=CROSS_DOMAIN,
        formula=Ratio(numerator=PLACEMENTS_COVERED, denominator=PLACEMENTS_MADE),
    ),
    Indicator(
        code="graduates_placed_within_6_months_rate",
        name_id="Rasio lulusan pelatihan yang ditempatkan dalam 6 bulan",
        name_en="Training graduates placed within 6 months, rate",
        definition_id=(
            "Bagian peserta lulus pelatihan pada bulan tersebut (status lulus dan tanggal "
            "kelulusan pada bulan itu, menurut kabupaten/kota program) yang orangnya "
            "(person_ref sama) memiliki penempatan kerja, di wilayah mana pun, bertanggal dari "
            "tanggal kelulusan sampai 6 bulan kalender sesudahnya (keduanya termasuk; lulus 15 "
            "Maret: ditempatkan 15 Maret sampai 15 September; lulus 31 Agustus: sampai akhir "
            "Februari). Rasio 0 sampai 1; untuk provinsi dan nasional dihitung dari jumlah "
            "pembilang dan penyebut; null bila tidak ada yang lulus. Dihitung saat dibaca: "
            "penempatan yang tercatat belakangan menaikkan nilai bulan kelulusannya."
        ),
        definition_en=(
            "Share of the month's training completions (status completed and completion date "
            "in the month, by the program's regency) whose person (same person_ref) has a "
            "placement, in any region, dated from the completion date to 6 calendar months "
            "after it, both inclusive (completed 15 March: placed 15 March to 15 September; "
            "completed 31 August: up to the last day of February). A ratio from 0 to 1; for a "
            "province or the nation computed from the summed numerator and denominator; null "
            "when there was no completion. Computed when read: a placement recorded later "
            "raises the value of its completion's month."
        ),
        unit="ratio",
        domain=CROSS_DOMAIN,
        formula=Ratio(numerator=GRADUATES_PLACED, denominator=COMPLETIONS),
    ),
    Indicator(
        code="accident_victims_without_jkk",
        name_id="Korban kecelakaan kerja tanpa JKK",
        name_en="Accident victims without JKK cover",
        definition_id=(
            "Jumlah korban kecelakaan kerja yang terjadi pada bulan tersebut (menurut "
            "kabupaten/kota kecelakaan) yang tidak memiliki kepesertaan BPJS Ketenagakerjaan "
            "dengan program JKK (jaminan kecelakaan kerja), di wilayah mana pun, yang mencakup "
            "tanggal kecelakaan: mulai pada atau sebelum tanggal itu, dan tanggal berakhirnya "
            "(hari pertama yang tidak dicakup) kosong atau sesudah tanggal itu. Kepesertaan "
            "tanpa JKK, atau yang berakhir pada atau sebelum tanggal kecelakaan, tidak "
            "melindungi. Dihitung saat dibaca: kepesertaan yang tercatat belakangan menurunkan "
            "nilainya."
        ),
        definition_en=(
            "Number of victims of the workplace accidents of the month (by the accident's "
            "regency) who have no BPJS Ketenagakerjaan membership including JKK (work-accident "
            "insurance), in any region, covering the accident date: started on or before that "
            "date, and its end date (the first day no longer covered) empty or after it. A "
            "membership without JKK, or one that ended on or before the accident date, is no "
            "cover. Computed when read: a membership recorded later lowers the value."
        ),
        unit="persons",
        domain=CROSS_DOMAIN,
        formula=Total(VICTIMS_WITHOUT_JKK),
    ),
    Indicator(
        code="program_beneficiaries",
        name_id="Penerima manfaat program perluasan kesempatan kerja",
        name_en="Employment-programme beneficiaries",
        definition_id=(
            "Jumlah penerima manfaat program perluasan kesempatan kerja (padat karya, tenaga "
            "kerja mandiri/wirausaha, lainnya) yang tanggal bergabungnya jatuh pada bulan "
            "tersebut, menurut kabupaten/kota program. Orang yang ikut dua program dihitung "
            "dua kali."
        ),
        definition_en=(
            "Number of beneficiaries of employment-expansion programmes (labour-intensive "
            "works, self-employment, other) whose joining date falls in the month, by the "
            "programme's regency. A person in two programmes counts twice."
        ),
        unit="persons",
        domain=JOB_MARKET,
        formula=Total(PROGRAM_BENEFICIARIES),
    ),
    Indicator(
        code="layoffs_reported",
        name_id="Laporan pemutusan hubungan kerja (PHK)",
        name_en="Layoffs reported",
        definition_id=(
            "Jumlah laporan PHK yang tanggal berlakunya PHK jatuh pada bulan tersebut, menurut "
            "kabupaten/kota yang tercatat pada laporan, apa pun alasannya. Satu laporan dapat "
            "memuat banyak pekerja (lihat workers_laid_off)."
        ),
        definition_en=(
            "Number of layoff (PHK) reports whose effective date falls in the month, by the "
            "regency recorded on the report, whatever the reason. One report can name many "
            "workers (see workers_laid_off)."
        ),
        unit="reports",
        domain=INDUSTRIAL_RELATIONS,
        formula=Total(LAYOFFS_REPORTED),
    ),
    Indicator(
        code="workers_laid_off",
        name_id="Pekerja yang terkena PHK",
        name_en="Workers laid off",
        definition_id=(
            "Jumlah pekerja yang disebut dalam laporan PHK yang tanggal berlakunya jatuh pada "
            "bulan tersebut, menurut kabupaten/kota laporan. Umur dihitung pada tanggal "
            "berlakunya PHK. Aliran masuk ke pengangguran."
        ),
        definition_en=(
            "Number of workers named in the layoff reports whose effective date falls in the "
            "month, by the report's regency. Age is taken at the effective date. The inflow "
            "into unemployment."
        ),
        unit="persons",
        domain=INDUSTRIAL_RELATIONS,
        formula=Total(WORKERS_LAID_OFF),
    ),
    Indicator(
        code="disputes_registered",
        name_id="Perselisihan hubungan industrial tercatat",
        name_en="Industrial disputes registered",
        definition_id=(
            "Jumlah perselisihan hubungan industrial (hak, kepentingan, PHK, antar serikat "
            "pekerja) yang tanggal pencatatannya jatuh pada bulan tersebut, menurut "
            "kabupaten/kota pencatatan, apa pun tahap dan statusnya kini."
        ),
        definition_en=(
            "Number of industrial-relations disputes (rights, interests, termination, between "
            "unions) whose registration date falls in the month, by the regency that "
            "registered them, whatever their current stage and status."
        ),
        unit="disputes",
        domain=INDUSTRIAL_RELATIONS,
        formula=Total(DISPUTES_REGISTERED),
    ),
    Indicator(
        code="disputes_settled",
        name_id="Perselisihan hubungan industrial selesai",
        name_en="Industrial disputes settled",
        definition_id=(
            "Jumlah perselisihan berstatus selesai (settled: perjanjian bersama atau anjuran "
            "yang diterima) atau diputus (decided: putusan arbitrase atau pengadilan) yang "
            "tanggal penyelesaiannya jatuh pada bulan tersebut, menurut kabupaten/kota "
            "pencatatan. Anjuran yang belum diterima (recommendation_issued) belum dihitung."
        ),
        definition_en=(
            "Number of disputes with status settled (a joint agreement, or a recommendation "
            "accepted) or decided (an arbitration or court decision) whose settlement date "
            "falls in the month, by the registering regency. A recommendation not yet "
            "accepted (recommendation_issued) does not count yet."
        ),
        unit="disputes",
        domain=INDUSTRIAL_RELATIONS,
        formula=Total(DISPUTES_SETTLED),
    ),
    Indicator(
        code="disputes_settled_by_joint_agreement_rate",
        name_id="Rasio perselisihan selesai dengan perjanjian bersama",
        name_en="Disputes settled by joint agreement, rate",
        definition_id=(
            "Perselisihan selesai pada bulan tersebut dengan perjanjian bersama (PB, bipartit "
            "atau mediasi) dibagi semua perselisihan yang selesai atau diputus pada bulan itu, "
            "wilayah yang sama (rasio 0 sampai 1). Untuk provinsi dan nasional dihitung dari "
            "jumlah pembilang dan penyebut; null bila tidak ada yang selesai."
        ),
        definition_en=(
            "Disputes settled in the month by a joint agreement (Perjanjian Bersama, at "
            "bipartite or mediation stage) over all disputes settled or decided in the month, "
            "same region (a ratio from 0 to 1). For a province or the nation computed from the "
            "summed numerator and denominator; null when none was settled."
        ),
        unit="ratio",
        domain=INDUSTRIAL_RELATIONS,
        formula=Ratio(numerator=DISPUTES_SETTLED_JOINT, denominator=DISPUTES_SETTLED),
    ),
    Indicator(
        code="agreement_workers_covered",
        name_id="Pekerja yang dicakup PKB atau peraturan perusahaan",
        name_en="Workers covered by a collective agreement or company regulation",
        definition_id=(
            "Stok pada akhir bulan: jumlah pekerja yang dicakup (workers_covered) oleh "
            "perjanjian kerja bersama (PKB) dan peraturan perusahaan (PP) terdaftar yang "
            "berlaku pada hari terakhir bulan itu (berlaku mulai pada atau sebelum hari itu "
            "dan berlaku sampai pada atau sesudah hari itu), menurut kabupaten/kota "
            "pendaftaran. Dijumlahkan per perjanjian: pekerja perusahaan yang memiliki PKB dan "
            "PP sekaligus dihitung dua kali. Untuk kuartal dan tahun: nilai bulan terakhir."
        ),
        definition_en=(
            "Stock at month end: the workers covered (workers_covered) by the registered "
            "collective agreements (PKB) and company regulations (PP) in force on the last "
            "day of the month (valid from that day or earlier and valid until that day or "
            "later), by the registering regency. Summed per agreement: the workers of a "
            "company with both a PKB and a PP count twice. For a quarter or a year: the value "
            "of its last month."
        ),
        unit="persons",
        domain=INDUSTRIAL_RELATIONS,
        formula=Total(AGREEMENT_WORKERS),
    ),
    Indicator(
        code="union_members",
        name_id="Anggota serikat pekerja/serikat buruh",
        name_en="Union members",
        definition_id=(
            "Stok pada akhir bulan: jumlah anggota (members, menurut catatan terkini) serikat "
            "pekerja/serikat buruh yang tercatat pada atau sebelum hari terakhir bulan itu dan "
            "tidak ditarik, menurut kabupaten/kota pencatatan. Pekerja yang menjadi anggota "
            "dua serikat dihitung dua kali. Untuk kuartal dan tahun: nilai bulan terakhir."
        ),
        definition_en=(
            "Stock at month end: the members (the record's current count) of the trade unions "
            "registered on or before the last day of the month and not withdrawn, by the "
            "registering regency. A worker in two unions counts twice. For a quarter or a "
            "year: the value of its last month."
        ),
        unit="persons",
        domain=INDUSTRIAL_RELATIONS,
        formula=Total(UNION_MEMBERS),
    ),
    Indicator(
        code="laid_off_registered_within_3_months_rate",
        name_id="Rasio pekerja ter-PHK yang mendaftar sebagai pencari kerja dalam 3 bulan",
        name_en="Laid-off workers registering as job seekers within 3 months, rate",
        definition_id=(
            "Bagian pekerja yang terkena PHK pada bulan tersebut (tanggal berlakunya PHK pada "
            "bulan itu, menurut kabupaten/kota laporan) yang orangnya (person_ref sama) "
            "mendaftar sebagai pencari kerja, di wilayah mana pun, dengan tanggal pendaftaran "
            "dari tanggal berlakunya PHK sampai 3 bulan kalender sesudahnya (keduanya "
            "termasuk). Rasio 0 sampai 1; null bila tidak ada PHK. Pendaftaran yang tercatat "
            "belakangan menaikkan nilai bulan PHK-nya."
        ),
        definition_en=(
            "Share of the workers laid off in the month (effective date in the month, by the "
            "report's regency) whose person (same person_ref) registered as a job seeker, in "
            "any region, with a registration date from the effective date to 3 calendar "
            "months after it, both inclusive. A ratio from 0 to 1; null when nobody was laid "
            "off. A registration recorded later raises the value of its layoff's month."
        ),
        unit="ratio",
        domain=CROSS_DOMAIN,
        formula=Ratio(numerator=LAID_OFF_REGISTERED, denominator=WORKERS_LAID_OFF),
    ),
    Indicator(
        code="laid_off_jkp_claim_rate",
        name_id="Rasio pekerja ter-PHK yang mengajukan klaim JKP dalam 6 bulan",
        name_en="Laid-off workers claiming JKP within 6 months, rate",
        definition_id=(
            "Bagian pekerja yang terkena PHK pada bulan tersebut (menurut kabupaten/kota "
            "laporan) yang orangnya (person_ref sama) memiliki klaim JKP (jaminan kehilangan "
            "pekerjaan), status apa pun, bertanggal dari tanggal berlakunya PHK sampai 6 bulan "
            "kalender sesudahnya (keduanya termasuk). Rasio 0 sampai 1; null bila tidak ada "
            "PHK."
        ),
        definition_en=(
            "Share of the workers laid off in the month (by the report's regency) whose "
            "person (same person_ref) has a JKP (job-loss benefit) claim, of any status, dated "
            "from the effective date to 6 calendar months after it, both inclusive. A ratio "
            "from 0 to 1; null when nobody was laid off."
        ),
        unit="ratio",
        domain=CROSS_DOMAIN,
        formula=Ratio(numerator=LAID_OFF_CLAIMED_JKP, denominator=WORKERS_LAID_OFF),
    ),
    Indicator(
        code="laid_off_reemployed_within_6_months_rate",
        name_id="Rasio pekerja ter-PHK yang bekerja kembali dalam 6 bulan",
        name_en="Laid-off workers re-employed within 6 months, rate",
        definition_id=(
            "Bagian pekerja yang terkena PHK pada bulan tersebut (menurut kabupaten/kota "
            "laporan) yang orangnya (person_ref sama), dari tanggal berlakunya PHK sampai 6 "
            "bulan kalender sesudahnya (keduanya termasuk), memiliki penempatan kerja di "
            "wilayah mana pun, atau kepesertaan BPJS Ketenagakerjaan yang dimulai pada "
            "rentang itu dengan pemberi kerja (NIB) lain dari yang melakukan PHK. Rasio 0 "
            "sampai 1; null bila tidak ada PHK."
        ),
        definition_en=(
            "Share of the workers laid off in the month (by the report's regency) whose "
            "person (same person_ref) has, from the effective date to 6 calendar months after "
            "it (both inclusive), a placement in any region, or a BPJS Ketenagakerjaan "
            "membership started in that window with an employer (NIB) other than the one "
            "that laid them off. A ratio from 0 to 1; null when nobody was laid off."
        ),
        unit="ratio",
        domain=CROSS_DOMAIN,
        formula=Ratio(numerator=LAID_OFF_REEMPLOYED, denominator=WORKERS_LAID_OFF),
    ),
    Indicator(
        code="beneficiaries_registered_job_seekers_rate",
        name_id="Rasio penerima manfaat program yang terdaftar sebagai pencari kerja",
        name_en="Programme beneficiaries registered as job seekers, rate",
        definition_id=(
            "Bagian penerima manfaat program perluasan kesempatan kerja yang bergabung pada "
            "bulan tersebut (menurut kabupaten/kota program) yang orangnya (person_ref sama) "
            "terdaftar sebagai pencari kerja, di wilayah mana pun, dengan tanggal pendaftaran "
            "pada atau sebelum tanggal bergabung. Rasio 0 sampai 1; null bila tidak ada yang "
            "bergabung."
        ),
        definition_en=(
            "Share of the beneficiaries of employment-expansion programmes who joined in the "
            "month (by the programme's regency) whose person (same person_ref) registered as "
            "a job seeker, in any region, on or before the joining date. A ratio from 0 to 1; "
            "null when nobody joined."
        ),
        unit="ratio",
        domain=CROSS_DOMAIN,
        formula=Ratio(numerator=BENEFICIARIES_REGISTERED, denominator=PROGRAM_BENEFICIARIES),
    ),
    Indicator(
        code="reporting_rate",
        name_id="Tingkat pelaporan",
        name_en="Reporting rate",
        definition_id=(
            "Laporan yang diterima dibagi laporan yang diharapkan. Diharapkan: satu laporan per "
            "kabupaten/kota peserta kesepakatan integrasi data di wilayah tersebut, per bulan "
            "dan per urusan (pasar kerja, pelatihan, pengawasan, jaminan sosial, hubungan "
            "industrial; atau satu urusan dengan by=domain). Diterima: kabupaten/kota itu "
            "mengirim data urusan tersebut yang bertanggal pada bulan itu, atau menutup periode "
            "bulan itu. Rasio 0 sampai 1; null bila wilayah tidak memuat kabupaten/kota peserta."
        ),
        definition_en=(
            "Reports received over reports expected. Expected: one report per participating "
            "regency of the area (the regions of the data-integration agreement), month and "
            "domain (job market, training, inspection, social security, industrial relations; "
            "or the one of by=domain). Received: the regency sent a record of that domain "
            "dated in the month, or closed the month. A ratio from 0 to 1; null when the area "
            "holds no participating regency."
        ),
        unit="ratio",
        domain=CROSS_DOMAIN,
        formula=ReportingRate(on_time=False),
    ),
    Indicator(
        code="reporting_rate_on_time",
        name_id="Tingkat pelaporan tepat waktu",
        name_en="Reporting rate on time",
        definition_id=(
            "Laporan yang ditutup tepat waktu (periode bulan ditutup paling lambat 15 hari "
            "setelah hari terakhirnya) dibagi laporan yang diharapkan, seperti pada tingkat "
            "pelaporan. Periode yang dibuka kembali tidak dihitung."
        ),
        definition_en=(
            "Reports closed on time (the month closed at most 15 days after its last day) over "
            "the reports expected, as for the reporting rate. A reopened month does not count."
        ),
        unit="ratio",
        domain=CROSS_DOMAIN,
        formula=ReportingRate(on_time=True),
    ),
)


@cache
def dimensions_of(code: str) -> tuple[str, ...]:
    """The dimensions an indicator can be broken down by: those of all its measures."""
    formula = by_code()[code].formula
    if isinstance(formula, ReportingRate):
        return ("domain",)
    measures = formula.measures
    shared = set.intersection(*({d.name for d in cube_measure(m.key).dimensions} for m in measures))
    return tuple(d.name for d in DIMENSIONS if d.name in shared)


@cache
def by_code() -> Mapping[str, Indicator]:
    """The catalogue keyed by indicator code."""
    return {indicator.code: indicator for indicator in CATALOGUE}
