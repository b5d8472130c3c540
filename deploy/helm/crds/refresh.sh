#!/usr/bin/env bash
# Regenerates deploy/helm/sinergi/schemas/: the JSON schemas kubeconform checks the chart's
# Strimzi and CloudNativePG resources against (committed, so `make lint` needs no network).
# Run it when the chart moves to another operator release, after changing the versions below
# and in strimzi/pom.xml.
#   Strimzi: its CRDs generated from the `api` and `crd-generator` jars on Maven Central
#            (Java 21 or newer: Temurin 25 on the project's machines).
#   CloudNativePG: the CRDs in its Go module (config/crd/bases), from the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")"
CNPG_VERSION=v1.29.0
JAVA=${JAVA:-$(ls -d /usr/lib/jvm/temurin-2[5-9]-jdk-*/bin/java 2>/dev/null | head -1)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mvn -q -f strimzi/pom.xml dependency:build-classpath -Dmdep.outputFile="$work/classpath"
model=io.strimzi.api.kafka.model
"$JAVA" -cp "$(cat "$work/classpath")" io.strimzi.crdgenerator.CrdGenerator --yaml \
  --crd-api-version v1 --api-versions v1 --storage-version v1 \
  "$model.kafka.Kafka=$work/kafka.yaml" \
  "$model.nodepool.KafkaNodePool=$work/kafkanodepool.yaml" \
  "$model.topic.KafkaTopic=$work/kafkatopic.yaml" \
  "$model.user.KafkaUser=$work/kafkauser.yaml" 2> >(grep -v '^WARNING' >&2)

(cd "$work" && go mod init crds >/dev/null 2>&1 \
  && go mod download -json "github.com/cloudnative-pg/cloudnative-pg@$CNPG_VERSION") > "$work/cnpg.json"
cnpg=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Dir"])' "$work/cnpg.json")/config/crd/bases

rm -rf ../sinergi/schemas
cd ../../..
"$(command -v uv || echo "$HOME/.local/bin/uv")" run --frozen python -m sinergi_local.helm schemas --out deploy/helm/sinergi/schemas \
  "$work"/kafka*.yaml \
  "$cnpg"/postgresql.cnpg.io_{clusters,databases,poolers,scheduledbackups}.yaml
