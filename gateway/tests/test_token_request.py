"""Parsing token requests (pure): RFC 6749 client authentication and error codes."""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

import pytest
from gateway.oauth import FORM, OAuthError, parse_token_request


def _basic(client_id: str, secret: str) -> str:
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def test_form_credentials_and_scope() -> None:
    parsed = parse_token_request(
        b"grant_type=client_credentials&client_id=a-client&client_secret=s3cret"
        b"&scope=job-market%3Aread+indicators%3Aread",
        content_type=FORM + "; charset=utf-8",
        authorization=None,
    )
    assert (parsed.client_id, parsed.client_secret) == ("a-client", "s3cret")
    assert parsed.scopes == ("job-market:read", "indicators:read")
    assert not parsed.basic_auth


def test_basic_credentials_are_form_decoded() -> None:
    parsed = parse_token_request(
        b"grant_type=client_credentials",
        content_type=FORM,
        authorization=_basic("a-client", "p@ss:w rd+"),
    )
    assert (parsed.client_id, parsed.client_secret) == ("a-client", "p@ss:w rd+")
    assert parsed.scopes is None
    assert parsed.basic_auth


def _error(
    body: bytes, *, content_type: str = FORM, authorization: str | None = None
) -> OAuthError:
    with pytest.raises(OAuthError) as caught:
        parse_token_request(body, content_type=content_type, authorization=authorization)
    return caught.value


def test_other_grants_are_unsupported() -> None:
    error = _error(b"grant_type=password&username=u&password=p")
    assert (error.status, error.error) == (400, "unsupported_grant_type")


def test_missing_grant_type_is_an_invalid_request() -> None:
    error = _error(b"client_id=a&client_secret=b")
    assert (error.status, error.error) == (400, "invalid_request")


def test_json_body_is_an_invalid_request() -> None:
    error = _error(b'{"grant_type": "client_credentials"}', content_type="application/json")
    assert error.error == "invalid_request"


def test_repeated_parameters_are_refused() -> None:
    error = _error(b"grant_type=client_credentials&client_id=a&client_id=b&client_secret=c")
    assert error.error == "invalid_request"
    assert "client_id" in error.description


def test_two_client_authentication_methods_are_refused() -> None:
    error = _error(b"grant_type=client_credentials&client_secret=x", authorization=_basic("a", "b"))
    assert error.error == "invalid_request"


def test_missing_credentials_are_an_invalid_client() -> None:
    error = _error(b"grant_type=client_credentials&client_id=a")
    assert (error.status, error.error) == (401, "invalid_client")


def test_malformed_basic_credentials_get_a_basic_challenge() -> None:
    error = _error(b"grant_type=client_credentials", authorization="Basic !!not-base64!!")
    assert (error.status, error.error) == (401, "invalid_client")
    assert error.headers["WWW-Authenticate"].startswith("Basic")
