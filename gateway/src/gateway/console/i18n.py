"""The console's words in Bahasa Indonesia (the default) and English."""

from __future__ import annotations

from typing import Literal

Language = Literal["id", "en"]
LANGUAGES: tuple[Language, ...] = ("id", "en")

_WORDS: dict[str, tuple[str, str]] = {
    "title": ("Sinergi: konsol data ketenagakerjaan", "Sinergi: labour-data console"),
    "sign_in": ("Masuk", "Sign in"),
    "sign_out": ("Keluar", "Sign out"),
    "username": ("Nama pengguna", "Username"),
    "password": ("Kata sandi", "Password"),
    "bad_login": ("Nama pengguna atau kata sandi salah.", "Wrong username or password."),
    "throttled": (
        "Terlalu banyak percobaan gagal. Coba lagi dalam {seconds} detik.",
        "Too many failed attempts. Try again in {seconds} seconds.",
    ),
    "expired_form": (
        "Formulir kedaluwarsa; silakan ulangi.",
        "The form expired; please try again.",
    ),
    "overview": ("Ringkasan", "Overview"),
    "indicators": ("Indikator", "Indicators"),
    "completeness": ("Kelengkapan", "Completeness"),
    "imports": ("Impor", "Imports"),
    "feed": ("Umpan peristiwa", "Event feed"),
    "regions": ("Wilayah", "Regions"),
    "all_regions": ("Seluruh Indonesia", "All of Indonesia"),
    "indicator": ("Indikator", "Indicator"),
    "area": ("Wilayah", "Area"),
    "period": ("Periode", "Period"),
    "from": ("Dari", "From"),
    "to": ("Sampai", "To"),
    "breakdown": ("Rincian", "Breakdown"),
    "none": ("Tanpa rincian", "No breakdown"),
    "show": ("Tampilkan", "Show"),
    "value": ("Nilai", "Value"),
    "status": ("Status", "Status"),
    "this_month": ("Bulan ini", "This month"),
    "last_month": ("Bulan lalu", "Last month"),
    "last_year": ("Tahun lalu", "Last year"),
    "trend": ("12 bulan", "12 months"),
    "export": ("Unduh", "Download"),
    "over_time": ("Menurut waktu", "Over time"),
    "across_areas": ("Menurut wilayah", "Across areas"),
    "drill_down": ("Rinci ke", "Drill down to"),
    "domain": ("Urusan", "Domain"),
    "reported": ("Ada laporan", "Reported"),
    "on_time": ("Ditutup tepat waktu", "Closed on time"),
    "late": ("Ditutup terlambat", "Closed late"),
    "not_reported": ("Tidak ada laporan", "Not reported"),
    "close_period": ("Tutup periode", "Close the period"),
    "closed": ("Periode {period} urusan {domain} ditutup.", "Closed {domain} for {period}."),
    "entity": ("Jenis data", "Kind of record"),
    "file": ("Berkas (CSV atau XLSX)", "File (CSV or XLSX)"),
    "upload": ("Unggah", "Upload"),
    "template": ("Templat", "Template"),
    "job": ("Pekerjaan impor", "Import job"),
    "progress": ("Kemajuan", "Progress"),
    "summary": ("Ringkasan hasil", "Summary"),
    "conflicts": ("Baris yang ditolak", "Rejected rows"),
    "row": ("Baris", "Row"),
    "field": ("Kolom", "Field"),
    "reason": ("Alasan", "Reason"),
    "download_conflicts": ("Unduh baris yang ditolak (CSV)", "Download the rejected rows (CSV)"),
    "no_conflicts": ("Tidak ada baris yang ditolak.", "No row was rejected."),
    "live": ("Peristiwa terbaru di wilayah Anda", "Latest events of your regions"),
    "time": ("Waktu", "Time"),
    "type": ("Jenis", "Type"),
    "region": ("Wilayah", "Region"),
    "waiting": ("Menunggu peristiwa baru…", "Waiting for new events…"),
    "no_script": (
        "Tanpa JavaScript halaman ini menampilkan peristiwa saat dimuat; muat ulang untuk yang "
        "terbaru.",
        "Without JavaScript this page shows the events as of loading; reload for newer ones.",
    ),
    "language": ("English", "Bahasa Indonesia"),
    "forbidden": ("Anda tidak berhak melihat data ini.", "You may not see this data."),
    "suppressed": ("Disembunyikan (jumlah kecil)", "Suppressed (small count)"),
}


def words(language: Language) -> dict[str, str]:
    """Every word of the console in ``language``."""
    index = LANGUAGES.index(language)
    return {key: pair[index] for key, pair in _WORDS.items()}
