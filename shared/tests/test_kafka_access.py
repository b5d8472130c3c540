"""Kafka credentials from the settings: what every client is given, and refusals."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from shared.kafka import KafkaAccess
from shared.settings import Settings

SECRET = "a-production-person-ref-secret"
DATA_KEYS = "k1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="  # 32 bytes


def test_clients_authenticate_with_the_settings_credentials() -> None:
    settings = Settings(
        environment="production",
        person_ref_secret=SECRET,
        data_keys=DATA_KEYS,
        kafka_bootstrap="kafka:9092",
        kafka_username="job-market",
        kafka_password="s3cret-password",
    )
    options = KafkaAccess.from_settings(settings).client_options()
    assert options == {
        "bootstrap_servers": "kafka:9092",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "job-market",
        "sasl_plain_password": "s3cret-password",
    }
    assert "s3cret-password" not in repr(KafkaAccess.from_settings(settings))


def test_sasl_ssl_gets_a_tls_context() -> None:
    access = KafkaAccess(
        bootstrap="kafka:9093", username="u", password="p", security_protocol="SASL_SSL"
    )
    assert access.client_options()["ssl_context"].check_hostname


def test_a_username_without_a_password_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="SINERGI_KAFKA_PASSWORD"):
        Settings(
            environment="production",
            person_ref_secret=SECRET,
            data_keys=DATA_KEYS,
            kafka_username="training",
        )


def test_a_kafka_client_without_credentials_is_refused_outside_development() -> None:
    # A process without Kafka (the gateway) may have none; one that connects may not.
    settings = Settings(environment="production", person_ref_secret=SECRET, data_keys=DATA_KEYS)
    with pytest.raises(ValueError, match="SINERGI_KAFKA_USERNAME"):
        KafkaAccess.from_settings(settings)
    # In development the empty defaults are allowed (the local runner always sets them).
    assert KafkaAccess.from_settings(Settings(environment="development")).username == ""


def test_an_unknown_security_protocol_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(kafka_security_protocol="PLAINTEXT")
