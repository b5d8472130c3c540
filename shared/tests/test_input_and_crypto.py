"""Pure rules of strict input, personal-data encryption and log redaction."""

from __future__ import annotations

import base64
import json
import logging
from datetime import date

import pytest
from pydantic import BaseModel, Field, ValidationError
from shared.crypto import DataKeyError, Keyring
from shared.input import STRICT_INPUT, IsoDate, Text, clean_text
from shared.logs import redact


class _Body(BaseModel):
    model_config = STRICT_INPUT

    name: Text = Field(max_length=10)
    born: IsoDate
    count: int = Field(ge=0, le=10)
    flag: bool = False


def _errors(data: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        _Body.model_validate(data)
    return {".".join(map(str, e["loc"])): e["type"] for e in caught.value.errors()}


def test_strict_input_refuses_coercion_unknown_fields_and_bad_text() -> None:
    assert _Body.model_validate({"name": "Siti", "born": "2001-02-03", "count": 3}).born == date(
        2001, 2, 3
    )
    assert _errors(
        {"name": "a\x00b", "born": 981158400, "count": "3", "flag": 1, "flga": True}
    ) == {
        "name": "value_error",
        "born": "value_error",
        "count": "int_type",
        "flag": "bool_type",
        "flga": "extra_forbidden",
    }
    assert set(_errors({"name": "x" * 11, "born": "2001-2-3", "count": 11})) == {
        "name",
        "born",
        "count",
    }


def test_text_refuses_nul_and_lone_surrogates_only() -> None:
    assert clean_text("Dinas Tenaga Kerja — Bekasi ✓") == "Dinas Tenaga Kerja — Bekasi ✓"
    for bad in ("\x00", "abc\ud800", "\udfff"):
        with pytest.raises(ValueError):
            clean_text(bad)


def test_iso_dates_only_real_calendar_dates() -> None:
    for bad in ("2001-02-30", "20010203", "2001-02-03T00:00:00", "03-02-2001"):
        assert "born" in _errors({"name": "a", "born": bad, "count": 1})


def _key(byte: int) -> str:
    return base64.b64encode(bytes([byte]) * 32).decode()


def test_encryption_round_trips_binds_the_purpose_and_rotates() -> None:
    old = Keyring.parse(f"k1:{_key(1)}")
    stored = old.encrypt("3216014403980007", purpose="nik")
    assert stored.startswith("k1:") and "3216014403980007" not in stored
    assert stored != old.encrypt("3216014403980007", purpose="nik")  # a fresh nonce each time
    assert old.decrypt(stored, purpose="nik") == "3216014403980007"
    with pytest.raises(ValueError):
        old.decrypt(stored, purpose="full_name")  # moved to another column: refused
    rotated = Keyring.parse(f"k2:{_key(2)},k1:{_key(1)}")
    assert rotated.decrypt(stored, purpose="nik") == "3216014403980007"
    assert rotated.encrypt("x", purpose="nik").startswith("k2:")
    with pytest.raises(LookupError):
        Keyring.parse(f"k2:{_key(2)}").decrypt(stored, purpose="nik")


@pytest.mark.parametrize(
    "setting", ["", "k1", f"k1:{base64.b64encode(b'short').decode()}", f"a:{_key(1)},a:{_key(2)}"]
)
def test_unusable_key_settings_are_refused(setting: str) -> None:
    with pytest.raises(DataKeyError):
        Keyring.parse(setting)


def test_log_lines_lose_nik_shaped_numbers_and_tokens() -> None:
    line = "job seeker 3216014403980007 by Bearer eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl"
    cleaned = redact(line)
    assert "3216014403980007" not in cleaned and "eyJ" not in cleaned
    assert redact("id 2b8f1c3a-0000-4000-8000-123456789abc kept") == (
        "id 2b8f1c3a-0000-4000-8000-123456789abc kept"
    )


def test_configured_logs_are_json_lines_with_service_and_request_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from shared.logs import configure_logging

    from shared import context

    configure_logging("unit-test")
    with context.serving("req-123"):
        logging.getLogger("sinergi.test").warning("NIK %s refused", "3216014403980007")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["service"] == "unit-test" and line["request_id"] == "req-123"
    assert line["level"] == "warning" and "time" in line
    assert "3216014403980007" not in line["event"]


def test_the_development_data_key_is_refused_outside_development() -> None:
    from shared.settings import Settings

    with pytest.raises(ValidationError, match="SINERGI_DATA_KEYS"):
        Settings(environment="production", person_ref_secret="a-real-secret")
    Settings(environment="production", person_ref_secret="a-real-secret", data_keys=f"k1:{_key(7)}")
