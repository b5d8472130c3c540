"""What the Helm chart reads from the service declarations, checked without helm (``make lint``
renders and validates the chart itself: ``deploy/helm/tests/test_chart.py``): the generated
``platform.yaml`` is current, its Kafka ACLs are the local runner's, and the operators' CRDs
become schemas that refuse unknown fields.
"""

from __future__ import annotations

from shared.services import SERVICES
from sinergi_local import helm
from sinergi_local.access import kafka_grants
from sinergi_local.platform import ROOT

CHART = ROOT / "deploy" / "helm" / "sinergi"


def test_platform_yaml_lists_every_process_topic_and_principal_with_the_runners_acls() -> None:
    platform = helm.platform()
    names = [p["name"] for p in platform["processes"]]
    assert names == [s.name.replace("_", "-") for s in SERVICES] + ["gateway"]
    acls = {
        (
            user["name"],
            acl["resource"]["type"],
            acl["resource"].get("name", "kafka-cluster"),
            acl["resource"].get("patternType", "literal"),
            operation,
        )
        for user in platform["kafkaUsers"]
        for acl in user["acls"]
        for operation in acl["operations"]
    }
    # Strimzi's names: resource types in lower case, operations in CamelCase, prefix patterns.
    expected = {
        (
            g.principal,
            {"TOPIC": "topic", "GROUP": "group", "CLUSTER": "cluster"}[g.resource],
            g.name,
            "prefix" if g.prefixed else "literal",
            operation.replace("_", " ").title().replace(" ", ""),
        )
        for g in kafka_grants()
        for operation in g.operations
    }
    assert acls == expected


def test_platform_yaml_is_generated_from_the_declarations() -> None:
    assert (CHART / "platform.yaml").read_text() == helm.render(), (
        "deploy/helm/sinergi/platform.yaml is stale: "
        "uv run --frozen python -m sinergi_local.helm platform"
    )


def test_crd_schemas_refuse_unknown_fields_except_where_kubernetes_keeps_them() -> None:
    crd = {
        "kind": "CustomResourceDefinition",
        "spec": {
            "group": "example.io",
            "names": {"kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {
                                        "size": {"x-kubernetes-int-or-string": True},
                                        "config": {
                                            "type": "object",
                                            "x-kubernetes-preserve-unknown-fields": True,
                                            "properties": {"a": {"type": "string"}},
                                        },
                                    },
                                }
                            },
                        }
                    },
                },
                {"name": "v0", "served": False, "schema": {"openAPIV3Schema": {}}},
            ],
        },
    }
    (name, schema), *rest = helm.crd_schemas([crd]).items()
    assert name == "example.io/widget_v1.json" and not rest
    spec = schema["properties"]["spec"]
    assert schema["additionalProperties"] is False and spec["additionalProperties"] is False
    assert "additionalProperties" not in spec["properties"]["config"]
    assert spec["properties"]["size"]["anyOf"] == [{"type": "integer"}, {"type": "string"}]
