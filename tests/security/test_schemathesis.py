"""A bounded schemathesis run against the gateway's merged OpenAPI document (issue 6, item 10).

Stateless: every operation gets up to ``MAX_EXAMPLES`` generated requests, positive and
negative, each validated by every check schemathesis 4 has (no 5xx, status codes, content
types, headers and bodies as documented, schema-invalid data refused and schema-valid data
accepted, undocumented methods refused, authentication not ignored, object-level
authorization, use after free, resource availability). Stateful: ``STATEFUL_SCENARIOS``
sequences of up to ``STEPS`` calls along the links schemathesis infers from the document
(a write's ``id`` into the record's read).

Two identities, from real tokens of ``/oauth/token``: ``sec-3216`` (Kabupaten Bekasi)
and ``sec-3273`` (Kota Bandung), given to schemathesis as a Web Fuzzing Commons auth
document whose users are peers: ``object_level_authorization`` replays one region's reads of
its own records as the other region, which must not get them.

Deliberate settings (each limits what the run proves; all else is schemathesis' default):

- ``positive_data_acceptance`` also accepts 422: the document cannot express the rules
  behind it (a NIK agreeing with birth date and sex, a known regency code, a reference to the
  caller's own records), so a schema-valid request one of them refuses is answered as
  designed. Any other refusal of schema-valid data still fails.
- ``POST /oauth/token`` is left out: fuzzing it from 127.0.0.1 would lock the suite's own
  address out of the token endpoint for a minute. ``test_api2_auth`` and the bad-input class
  ``token_endpoint`` cover it.
- the coverage phase is off: its boundary cases of every parameter are some 2,800 requests
  here, beyond the budget of the suite; the bad-input classes try those boundaries instead.
- a fixed seed: the same cases every run, so a failure reproduces.

Operations, cases and failures (by kind) are printed in the terminal summary.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig

MAX_EXAMPLES = 10
STATEFUL_SCENARIOS = 6
STEPS = 8
SEED = 20_260_611
PEERS = {"bekasi": "sec-3216", "bandung": "sec-3273"}
# Everything the platform answers by design to schema-valid data it refuses on its rules.
EXPECTED_FOR_VALID_DATA = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]


@dataclass
class Tally:
    """What the run did and found."""

    cases: Counter[str] = field(default_factory=Counter)
    failures: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    steps: int = 0

    def failed(self, label: str, error: BaseException) -> None:
        found = error.exceptions if isinstance(error, BaseExceptionGroup) else (error,)
        for failure in found:
            code = getattr(failure, "code", "")
            title = getattr(failure, "title", type(failure).__name__)
            self.failures[label].add(f"{code} {title}".strip())


@pytest.fixture(scope="session")
def tally(report: Any) -> Any:
    """The run's counts, printed at the end of the session."""
    counts = Tally()
    yield counts
    lines = report("security: schemathesis")
    kinds: Counter[str] = Counter(k for found in counts.failures.values() for k in found)
    lines.append(
        f"operations {len(counts.cases)}, stateless cases {sum(counts.cases.values())}, "
        f"stateful steps {counts.steps}, failing operations {len(counts.failures)}"
    )
    for kind, operations in kinds.most_common():
        lines.append(f"  {kind}: {operations} operation(s)")
    for label, found in sorted(counts.failures.items()):
        lines.append(f"  {label}: {', '.join(sorted(found))}")


@pytest.fixture(scope="session")
async def api_schema(platform: Any, tokens: Any, tmp_path_factory: Any) -> Any:
    """The merged document as schemathesis sees it, with the two peer identities."""
    gateway = platform.config.gateway_url
    users = [
        {
            "name": name,
            "fixedHeaders": [
                {"name": "Authorization", "value": f"Bearer {await tokens.token(client_id)}"}
            ],
        }
        for name, client_id in PEERS.items()
    ]
    auth_document = tmp_path_factory.mktemp("schemathesis") / "auth.json"
    auth_document.write_text(json.dumps({"auth": users}))
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "request-timeout": 60,
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "checks": {
                "enabled": True,
                "positive_data_acceptance": {"expected-statuses": EXPECTED_FOR_VALID_DATA},
            },
            "phases": {"coverage": {"enabled": False}, "stateful": {"max-steps": STEPS}},
            "auth": {"wfc": {"path": str(auth_document), "user": "bekasi", "peers": list(PEERS)}},
        }
    )
    schema = schemathesis.openapi.from_url(f"{gateway}/openapi.json", config=config)
    return schema.exclude(path="/oauth/token")


schema = schemathesis.pytest.from_fixture("api_schema")
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@HYPOTHESIS
def test_every_operation_holds_against_generated_requests(case: Any, tally: Any) -> None:
    tally.cases[case.operation.label] += 1
    try:
        case.call_and_validate()
    except BaseException as error:
        tally.failed(case.operation.label, error)
        raise


def test_stateful_sequences_hold(api_schema: Any, tally: Any) -> None:
    base = api_schema.as_state_machine()

    class Counted(base):  # type: ignore[misc, valid-type]
        def after_call(self, response: Any, case: Any) -> None:
            tally.steps += 1
            super().after_call(response, case)

    try:
        Counted.run(
            settings=settings(
                max_examples=STATEFUL_SCENARIOS,
                stateful_step_count=STEPS,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
        )
    except BaseException as error:
        tally.failed("stateful", error)
        raise
