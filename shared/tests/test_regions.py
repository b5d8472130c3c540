"""Region reference data: Kemendagri codes, normalisation, hierarchy (pure logic)."""

from __future__ import annotations

from shared.regions import NATIONAL, PILOT_REGIONS, registry


def test_the_reference_data_is_complete() -> None:
    regions = registry()
    assert (len(regions.provinces), len(regions.regencies), len(regions.districts)) == (
        38,
        514,
        7285,
    )
    assert all(r.province_code in regions.provinces for r in regions.regencies.values())
    assert all(code in regions.regencies for code in regions.districts.values())


def test_pilot_regions_are_known_under_their_kemendagri_names() -> None:
    regions = registry()
    for pilot in PILOT_REGIONS:
        assert regions.regencies[pilot.code].name == pilot.name
    binjai = next(p for p in PILOT_REGIONS if p.name == "Kota Binjai")
    assert (binjai.code, binjai.bps_code) == ("12.75", "1276")


def test_codes_are_normalised_to_the_dotted_form() -> None:
    regions = registry()
    assert regions.normalise_regency("3216") == "32.16"
    assert regions.normalise_regency(" 32.16 ") == "32.16"
    assert regions.normalise_regency("32.99") is None
    assert regions.normalise_regency("32") is None
    assert regions.normalise_area("id") == NATIONAL
    assert regions.normalise_area("32") == "32"
    assert regions.normalise_area("3273") == "32.73"
    assert regions.normalise_area("99") is None


def test_areas_expand_to_their_regencies() -> None:
    regions = registry()
    west_java = regions.regencies_in("32")
    assert {"32.16", "32.73", "32.13"} <= set(west_java)
    assert all(code.startswith("32.") for code in west_java)
    assert len(regions.regencies_in(NATIONAL)) == 514
    assert regions.regencies_in("32.16") == ["32.16"]


def test_a_nik_names_its_district() -> None:
    regions = registry()
    assert regions.district_of_nik("3216010101900001") == "32.16.01"
    assert regions.district_of_nik("3216990101900001") is None
