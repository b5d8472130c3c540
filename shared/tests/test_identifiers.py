"""NIK validation against the record, and person_ref (pure logic)."""

from __future__ import annotations

from datetime import date

import pytest
from shared.identifiers import NikMismatch, Sex, check_nik, nik_for, person_ref
from shared.regions import registry


def test_a_nik_agreeing_with_the_record_is_returned_compact() -> None:
    nik = nik_for(district="32.73.01", birth_date=date(1990, 1, 2), sex="M", serial=15)
    assert nik == "3273010201900015"
    spaced = f"{nik[:6]} {nik[6:12]} {nik[12:]}"
    assert check_nik(spaced, birth_date=date(1990, 1, 2), sex="M", regions=registry()) == nik


def test_women_have_forty_added_to_the_day() -> None:
    nik = nik_for(district="32.16.01", birth_date=date(2004, 5, 17), sex="F", serial=1)
    assert nik[6:8] == "57"
    # stdnum reads 04 as 1904; the record's 2004 must still agree.
    assert check_nik(nik, birth_date=date(2004, 5, 17), sex="F", regions=registry()) == nik


@pytest.mark.parametrize(
    ("birth_date", "sex", "field"),
    [
        (date(1990, 1, 3), "M", "birth_date"),
        (date(1990, 2, 2), "M", "birth_date"),
        (date(1991, 1, 2), "M", "birth_date"),
        (date(1990, 1, 2), "F", "sex"),
    ],
)
def test_a_disagreeing_record_names_the_field(birth_date: date, sex: Sex, field: str) -> None:
    nik = nik_for(district="32.73.01", birth_date=date(1990, 1, 2), sex="M", serial=15)
    with pytest.raises(NikMismatch) as caught:
        check_nik(nik, birth_date=birth_date, sex=sex, regions=registry())
    assert caught.value.field == field


@pytest.mark.parametrize(
    "nik",
    [
        "12345",  # too short
        "32730102019000AB",  # not digits
        "9973010201900015",  # unknown province
        "3216990201900015",  # province and regency known, district 32.16.99 is not
    ],
)
def test_malformed_or_unknown_niks_are_refused(nik: str) -> None:
    with pytest.raises(NikMismatch) as caught:
        check_nik(nik, birth_date=date(1990, 1, 2), sex="M", regions=registry())
    assert caught.value.field == "nik"


def test_person_ref_links_the_same_person_and_hides_the_nik() -> None:
    nik = nik_for(district="12.75.01", birth_date=date(1985, 12, 31), sex="F", serial=2)
    ref = person_ref(nik, secret="s1")
    assert ref == person_ref(f"{nik[:6]}.{nik[6:]}", secret="s1")
    assert len(ref) == 64 and nik not in ref
    assert ref != person_ref(nik, secret="s2")
    other = nik_for(district="12.75.01", birth_date=date(1985, 12, 31), sex="F", serial=3)
    assert ref != person_ref(other, secret="s1")


def test_niks_of_the_newest_provinces_are_accepted() -> None:
    # python-stdnum's location table lacks North Kalimantan and the Papua splits; our
    # Kemendagri table decides membership.
    regions = registry()
    for province in ("65", "92", "93", "94", "95", "96"):
        regency = regions.regencies_in(province)[0]
        district = next(d for d, r in regions.districts.items() if r == regency)
        nik = nik_for(district=district, birth_date=date(1993, 8, 17), sex="F", serial=4)
        assert check_nik(nik, birth_date=date(1993, 8, 17), sex="F", regions=regions) == nik
