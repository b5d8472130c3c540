"""The Helm chart (deploy/helm/sinergi) lints, renders for both sizes, and every resource it
renders is valid: Kubernetes' own kinds against Kubernetes' schemas (the oldest and newest
versions the chart supports), Strimzi's and CloudNativePG's against the CRD schemas committed
under the chart, by kubeconform in strict mode (unknown fields refused). And it renders what the
platform is: a Deployment, Service, HPA and PodDisruptionBudget per process, the local runner's
Kafka ACLs, one database per process, no secret material.

``make lint`` runs these tests, after ``make chart-tools`` has built helm and kubeconform from
the Go module proxy (``SINERGI_HELM`` and ``SINERGI_KUBECONFORM`` name them; without those
variables the newest build under ``.local/tools`` is used). The first build takes minutes, so
``make test`` keeps to what needs no helm: ``tests/contract/test_helm_platform.py``.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from shared.dlq import dlq_topic
from shared.events import TOPICS
from shared.services import SERVICES
from sinergi_local import helm

ROOT = Path(__file__).resolve().parents[3]
CHART = ROOT / "deploy" / "helm" / "sinergi"
SIZES = ("values-pilot.yaml", "values-national.yaml")
# The chart's kubeVersion floor and the newest Kubernetes kubernetes-validate knows.
KUBERNETES = ("1.30.0", "1.37.0")
PROCESSES = [s.name.replace("_", "-") for s in SERVICES] + ["gateway"]
RECOMMENDED_LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
)


def _tool(variable: str, name: str) -> str:
    built = sorted((ROOT / ".local" / "tools").glob(f"{name}-*/{name}"))
    path = os.environ.get(variable) or (str(built[-1]) if built else shutil.which(name))
    if not path or not Path(path).exists():
        pytest.fail(f"{name} is missing: run `make chart-tools` (or set {variable})")
    return path


@pytest.fixture(scope="module")
def helm_bin() -> str:
    return _tool("SINERGI_HELM", "helm")


@pytest.fixture(scope="module")
def kubeconform() -> str:
    return _tool("SINERGI_KUBECONFORM", "kubeconform")


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603 (our tools)


def render(helm_bin: str, *args: str) -> str:
    result = run(helm_bin, "template", "sinergi", str(CHART), *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def resources(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.fixture(scope="module")
def kubernetes_schemas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """kubernetes-validate's schemas, laid out for kubeconform: their references to
    ``/api/_definitions.json`` made file URLs (kubeconform resolves no site-relative ones)."""
    source = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema"
    out = {}
    for version in KUBERNETES:
        target = tmp_path_factory.mktemp(f"kubernetes-{version}")
        for entry in (source / f"v{version}-local-strict").iterdir():
            text = entry.read_text().replace(
                '"/api/_definitions.json#', f'"{target.as_uri()}/_definitions.json#'
            )
            if entry.name == "_definitions.json":
                definitions = json.loads(text)
                definitions.pop("$id", None)
                text = json.dumps(definitions)
            (target / entry.name).write_text(text)
        out[version] = target
    yield out


def validate(kubeconform: str, schemas: Path, manifest: Path) -> subprocess.CompletedProcess[str]:
    kinds = "{{ .ResourceKind }}{{ .KindSuffix }}.json"
    crds = "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
    return run(
        kubeconform,
        "-strict",
        "-summary",
        "-output",
        "json",
        "-schema-location",
        f"{schemas}/{kinds}",
        "-schema-location",
        f"{CHART}/schemas/{crds}",
        str(manifest),
    )


@pytest.mark.parametrize("size", SIZES)
def test_the_chart_lints_for_each_size(helm_bin: str, size: str) -> None:
    result = run(helm_bin, "lint", "--strict", str(CHART), "-f", str(CHART / size))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("kubernetes", KUBERNETES)
@pytest.mark.parametrize("size", SIZES)
def test_every_rendered_resource_is_valid_against_its_schema(
    helm_bin: str,
    kubeconform: str,
    kubernetes_schemas: dict[str, Path],
    tmp_path: Path,
    size: str,
    kubernetes: str,
) -> None:
    manifest = tmp_path / "sinergi.yaml"
    manifest.write_text(render(helm_bin, "-f", str(CHART / size)))
    result = validate(kubeconform, kubernetes_schemas[kubernetes], manifest)
    summary = json.loads(result.stdout)["summary"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary["valid"] == len(resources(manifest.read_text())) > 0
    assert summary["invalid"] == summary["errors"] == summary["skipped"] == 0


def test_kubeconform_refuses_what_a_schema_does_not_allow(
    helm_bin: str, kubeconform: str, kubernetes_schemas: dict[str, Path], tmp_path: Path
) -> None:
    """The validation above can fail: an unknown field in a Deployment, a KafkaTopic and a
    CloudNativePG Cluster, and a value outside an enum, are each refused by name."""
    docs = resources(render(helm_bin))
    for doc in docs:
        if doc["kind"] in {"Deployment", "KafkaTopic", "Cluster"}:
            doc["spec"]["replicaz"] = 2
        if doc["kind"] == "Database":
            doc["spec"]["databaseReclaimPolicy"] = "keep"
    manifest = tmp_path / "broken.yaml"
    manifest.write_text(yaml.safe_dump_all(docs))
    result = validate(kubeconform, kubernetes_schemas[KUBERNETES[0]], manifest)
    assert result.returncode != 0
    invalid = {
        (r["kind"], r["name"]) for r in json.loads(result.stdout)["resources"] if r["status"]
    }
    expected = {
        (d["kind"], d["metadata"]["name"])
        for d in docs
        if d["kind"] in {"Deployment", "KafkaTopic", "Cluster", "Database"}
    }
    assert invalid >= expected


def test_each_process_runs_as_a_deployment_with_service_autoscaler_and_disruption_budget(
    helm_bin: str,
) -> None:
    docs = resources(render(helm_bin, "-f", str(CHART / "values-national.yaml")))
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        assert sorted(of_kind(docs, kind)) == sorted(f"sinergi-{p}" for p in PROCESSES), kind
    hpas = of_kind(docs, "HorizontalPodAutoscaler")
    assert hpas["sinergi-gateway"]["spec"]["maxReplicas"] == 6
    assert hpas["sinergi-job-market"]["spec"]["maxReplicas"] == 4
    deployments = of_kind(docs, "Deployment")
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready", name
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live", name
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["initContainers"][0]["name"] == "wait-for-schema"
    ingress = next(iter(of_kind(docs, "Ingress").values()))
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "sinergi-gateway"


def test_resources_carry_helms_recommended_labels(helm_bin: str) -> None:
    for doc in resources(render(helm_bin)):
        labels = doc["metadata"].get("labels", {})
        missing = [label for label in RECOMMENDED_LABELS if label not in labels]
        assert not missing, (doc["kind"], doc["metadata"]["name"], missing)
        if doc["kind"] == "Deployment":
            selector = doc["spec"]["selector"]["matchLabels"]
            assert "app.kubernetes.io/version" not in selector  # would break upgrades


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_the_gateway_reaches_every_service_and_each_process_its_own_database(
    helm_bin: str,
) -> None:
    docs = resources(render(helm_bin, "-f", str(CHART / "values-national.yaml")))
    deployments = of_kind(docs, "Deployment")
    gateway = _env(deployments["sinergi-gateway"]["spec"]["template"]["spec"]["containers"][0])
    for service in SERVICES:
        host = service.name.replace("_", "-")
        assert gateway[service.url_setting] == f"http://sinergi-{host}:{service.port}"
    databases = of_kind(docs, "Database")
    owners = {d["spec"]["name"]: d["spec"]["owner"] for d in databases.values()}
    assert owners == {f"sinergi_{p.replace('-', '_')}": p.replace("-", "_") for p in PROCESSES}
    for process in PROCESSES:
        env = _env(deployments[f"sinergi-{process}"]["spec"]["template"]["spec"]["containers"][0])
        cluster = "sinergi-postgres-aggregation" if process == "aggregation" else "sinergi-postgres"
        role = process.replace("-", "_")
        assert env["SINERGI_DATABASE_URL"] == (
            f"postgresql://{role}:$(SINERGI_DATABASE_PASSWORD)@{cluster}-pooler-rw:5432/sinergi_{role}"
        )
        assert env["SINERGI_DATABASE_PASSWORD"]["secretKeyRef"]["name"] == f"sinergi-db-{process}"
        assert (
            env["SINERGI_KAFKA_USERNAME"]
            == helm.platform()["processes"][PROCESSES.index(process)]["kafkaUser"]
        )
        assert env["SINERGI_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    clusters = of_kind(docs, "Cluster")
    roles = {
        name: sorted(r["name"] for r in c["spec"]["managed"]["roles"])
        for name, c in clusters.items()
    }
    assert roles["sinergi-postgres-aggregation"] == ["aggregation"]
    assert "aggregation" not in roles["sinergi-postgres"]
    assert len(roles["sinergi-postgres"]) == len(PROCESSES) - 1


def test_kafka_users_have_exactly_the_acls_of_platform_yaml(helm_bin: str) -> None:
    """Each KafkaUser grants what platform.yaml lists for its principal (which
    ``tests/contract/test_helm_platform.py`` holds to the local runner's grants), no more."""
    users = of_kind(resources(render(helm_bin)), "KafkaUser")
    declared = {u["name"]: u["acls"] for u in helm.platform()["kafkaUsers"]}
    assert sorted(users) == sorted(declared)
    for name, user in users.items():
        rendered = user["spec"]["authorization"]["acls"]
        assert all(acl.pop("type") == "allow" for acl in rendered)
        assert rendered == declared[name], name
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"


def test_topics_partitions_and_retention_come_from_values(helm_bin: str) -> None:
    docs = resources(
        render(
            helm_bin,
            "--set",
            "kafka.topics.partitions=12",
            "--set",
            "kafka.deadLetters.retentionMs=86400000",
        )
    )
    topics = {t["spec"]["topicName"]: t["spec"] for t in of_kind(docs, "KafkaTopic").values()}
    assert set(topics) == set(TOPICS) | {dlq_topic(t) for t in TOPICS}
    for topic in TOPICS:
        assert topics[topic]["partitions"] == 12
        assert topics[topic]["config"]["retention.ms"] == -1
        assert topics[dlq_topic(topic)]["config"]["retention.ms"] == 86400000
    (kafka,) = of_kind(docs, "Kafka").values()
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    assert listener["tls"] is True and listener["authentication"]["type"] == "scram-sha-512"
    pools = of_kind(docs, "KafkaNodePool")
    assert {name: p["spec"]["roles"] for name, p in pools.items()} == {
        "controllers": ["controller"],
        "brokers": ["broker"],
    }
    # A pilot's three nodes are controllers and brokers at once.
    pilot = of_kind(
        resources(render(helm_bin, "-f", str(CHART / "values-pilot.yaml"))), "KafkaNodePool"
    )
    assert {name: p["spec"]["roles"] for name, p in pilot.items()} == {
        "brokers": ["controller", "broker"]
    }


def test_the_chart_holds_no_secret_material(helm_bin: str) -> None:
    """Secrets by reference: no Secret is rendered, and every secret a pod reads is one the
    values name (or one the operators generate: Kafka passwords, the cluster CA)."""
    docs = resources(render(helm_bin, "-f", str(CHART / "values-pilot.yaml")))
    assert not of_kind(docs, "Secret")
    text = yaml.safe_dump_all(docs)
    assert "BEGIN" not in text and "password:" not in text.replace("passwordSecret:", "")
    named = {"sinergi-application", "sinergi-jwt", "sinergi-cluster-ca-cert"}
    named |= {f"sinergi-db-{p}" for p in PROCESSES}
    named |= {u["name"] for u in helm.platform()["kafkaUsers"]}
    for deployment in of_kind(docs, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"] + pod["initContainers"]:
            for ref in (v for v in _env(container).values() if isinstance(v, dict)):
                assert ref["secretKeyRef"]["name"] in named
        for volume in pod["volumes"]:
            if "secret" in volume:
                assert volume["secret"]["secretName"] in named
    private = [
        name
        for name, d in of_kind(docs, "Deployment").items()
        for v in d["spec"]["template"]["spec"]["volumes"]
        if v["name"] == "jwt" and any(i["key"] == "jwt-private.pem" for i in v["secret"]["items"])
    ]
    assert private == ["sinergi-gateway"]  # only the gateway signs tokens


@pytest.mark.parametrize(
    ("create", "hook"), [("true", "post-install,pre-upgrade"), ("false", "pre-install,pre-upgrade")]
)
def test_migrations_run_as_a_hook_job_before_an_upgrade(
    helm_bin: str, create: str, hook: str
) -> None:
    docs = resources(
        render(
            helm_bin,
            "--set",
            f"postgresql.create={create}",
            "--set",
            "postgresql.host=postgres.example",
        )
    )
    (job,) = of_kind(docs, "Job").values()
    assert job["metadata"]["annotations"]["helm.sh/hook"] == hook
    steps = job["spec"]["template"]["spec"]["initContainers"]
    assert [s["command"][4] for s in steps] == [p.replace("-", "_") for p in PROCESSES]
    assert all(s["command"][-2:] == ["upgrade", "head"] for s in steps)
    assert bool(of_kind(docs, "Cluster")) == (create == "true")
