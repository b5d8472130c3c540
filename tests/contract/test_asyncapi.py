"""The AsyncAPI document is generated from the event models, is valid for the AsyncAPI
project's own parser (npm ``@asyncapi/parser``, installed by ``make setup``), and the gateway
serves it with a readable page."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway.asyncapi import render
from gateway.main import create_app
from gateway.settings import GatewaySettings
from shared.events import EVENT_TYPES, TOPICS
from shared.events.asyncapi import asyncapi_document, message_name

VALIDATOR = Path(__file__).with_name("asyncapi")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi_document(
        bootstrap="127.0.0.1:59092", security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-512",
    )  # fmt: skip


def test_the_asyncapi_parser_finds_no_error(document: dict[str, Any], tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "node is needed to validate the AsyncAPI document (see the README)"
    assert (VALIDATOR / "node_modules" / "@asyncapi" / "parser").is_dir(), (
        "the AsyncAPI parser is not installed: run `make setup`"
    )
    path = tmp_path / "asyncapi.json"
    path.write_text(json.dumps(document))
    run = subprocess.run(  # noqa: S603 - node on our own script
        [node, str(VALIDATOR / "validate.mjs"), str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads(run.stdout.splitlines()[-1])
    assert summary == {
        "ok": True, "version": "3.0.0", "channels": len(TOPICS), "messages": len(EVENT_TYPES),
    }  # fmt: skip


def test_every_type_topic_and_the_security_are_described(document: dict[str, Any]) -> None:
    messages = document["components"]["messages"]
    assert {m["name"] for m in messages.values()} == set(EVENT_TYPES)
    assert {c["address"] for c in document["channels"].values()} == set(TOPICS)
    for event_type, model in EVENT_TYPES.items():
        payload = messages[message_name(event_type)]["payload"]
        assert payload["properties"]["type"]["const"] == event_type
        assert "region" in payload["properties"]
        data = document["components"]["schemas"][
            payload["properties"]["data"]["$ref"].split("/")[-1]
        ]
        assert set(data["properties"]) == set(model.model_fields)
    (server,) = document["servers"].values()
    assert server["protocol"] == "kafka" and server["host"] == "127.0.0.1:59092"
    assert document["components"]["securitySchemes"]["scram"]["type"] == "scramSha512"


async def test_the_gateway_serves_the_document_and_its_page(tmp_path: Path) -> None:
    from shared.auth import ensure_keypair

    keys = tmp_path / "private.pem", tmp_path / "public.pem"
    ensure_keypair(*keys)
    settings = GatewaySettings(
        environment="test", rate_limit_enabled=False, kafka_bootstrap="broker.example:9093",
        kafka_security_protocol="SASL_SSL", jwt_private_key_path=keys[0],
        jwt_public_key_path=keys[1], database_url="postgresql://nobody@127.0.0.1:9/none",
    )  # fmt: skip
    app = create_app(settings)
    app.state.settings = settings
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as http:
        document = (await http.get("/asyncapi.json")).json()
        page = await http.get("/asyncapi")
    assert document["servers"]["sinergi"]["protocol"] == "kafka-secure"
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script" not in page.text and "http" not in page.text.replace(
        'href="/asyncapi.json"', ""
    )
    for event_type in EVENT_TYPES:
        assert event_type in page.text
    assert render(document) == page.text
