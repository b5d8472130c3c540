#!/usr/bin/env bash
# Kafka authentication and ACLs for docker-compose, run in the apache/kafka image:
#
#   kafka-access.sh format   formats the broker's log directory (once; later runs are no-ops)
#                            with the super user's SCRAM credential, before the broker starts
#   kafka-access.sh grant    creates or updates every principal's SCRAM-SHA-512 credential and
#                            ACL through the running broker, as the super user
#
# The same principals and ACLs as the local runner (deploy/local/src/sinergi_local/access.py;
# keep the two in step): each domain service writes its own topic only; the aggregation, the
# gateway (event streams, webhooks) and the ministry (kemnaker-pusdatin) read every domain
# topic; the aggregation also writes and reads the dead-letter topics <topic>.dlq; nothing else
# is allowed. Passwords come from the environment: SINERGI_SECRET_KAFKA_ADMIN and
# SINERGI_SECRET_KAFKA_<PRINCIPAL> for each domain (SINERGI_SECRET_KAFKA_JOB_MARKET, ...),
# AGGREGATION, GATEWAY and KEMNAKER_PUSDATIN.
set -euo pipefail

BIN=/opt/kafka/bin
: "${SINERGI_SECRET_KAFKA_ADMIN:?}"

secret_of() {  # the password variable of a principal: job-market -> SINERGI_SECRET_KAFKA_JOB_MARKET
  local name="SINERGI_SECRET_KAFKA_$(echo "$1" | tr 'a-z-' 'A-Z_')"
  printf '%s' "${!name:?$name is not set}"
}

format() {
  : "${CLUSTER_ID:?}" "${KAFKA_LOG_DIRS:?}"
  cat > /tmp/format.properties <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@kafka:9093
listeners=CLIENT://:9092,CONTROLLER://:9093
advertised.listeners=CLIENT://kafka:9092
inter.broker.listener.name=CLIENT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
listener.name.client.sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.controller.sasl.enabled.mechanisms=PLAIN
sasl.mechanism.controller.protocol=PLAIN
log.dirs=${KAFKA_LOG_DIRS}
EOF
  "$BIN/kafka-storage.sh" format --ignore-formatted --cluster-id "$CLUSTER_ID" \
    -c /tmp/format.properties \
    --add-scram "SCRAM-SHA-512=[name=admin,password=${SINERGI_SECRET_KAFKA_ADMIN}]"
}

grant() {
  umask 077
  # The domain principals, one per domain service: docker-compose.yml (generated from
  # shared.services) passes them as SINERGI_KAFKA_DOMAINS.
  local -a DOMAINS
  read -r -a DOMAINS <<< "${SINERGI_KAFKA_DOMAINS:?set SINERGI_KAFKA_DOMAINS}"
  cat > /tmp/admin.properties <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${SINERGI_SECRET_KAFKA_ADMIN}";
EOF
  local connect=(--bootstrap-server kafka:9092 --command-config /tmp/admin.properties)
  local user
  for user in "${DOMAINS[@]}" aggregation gateway kemnaker-pusdatin; do
    "$BIN/kafka-configs.sh" "${connect[@]}" --alter --entity-type users --entity-name "$user" \
      --add-config "SCRAM-SHA-512=[iterations=8192,password=$(secret_of "$user")]"
  done
  local acls=("$BIN/kafka-acls.sh" "${connect[@]}" --add --force)
  local domain topic readers=() dead_letters=()
  for domain in "${DOMAINS[@]}"; do
    topic="sinergi.${domain}.v1"
    "${acls[@]}" --allow-principal "User:${domain}" --operation Write --operation Describe \
      --topic "$topic"
    "${acls[@]}" --allow-principal "User:${domain}" --operation IdempotentWrite --cluster
    readers+=(--topic "$topic")
    dead_letters+=(--topic "${topic}.dlq")
  done
  "${acls[@]}" --allow-principal User:aggregation --allow-principal User:gateway \
    --allow-principal User:kemnaker-pusdatin --operation Read --operation Describe "${readers[@]}"
  "${acls[@]}" --allow-principal User:aggregation --operation Write --operation Read \
    --operation Describe "${dead_letters[@]}"
  "${acls[@]}" --allow-principal User:aggregation --operation IdempotentWrite --cluster
  "${acls[@]}" --allow-principal User:aggregation --operation Read --operation Describe \
    --group sinergi-aggregation
  "${acls[@]}" --allow-principal User:gateway --operation Read --operation Describe \
    --resource-pattern-type prefixed --group sinergi-gateway.
  "${acls[@]}" --allow-principal User:kemnaker-pusdatin --operation Read --operation Describe \
    --resource-pattern-type prefixed --group kemnaker-pusdatin.
}

case "${1:-}" in
  format) format ;;
  grant) grant ;;
  *) echo "usage: $0 format|grant" >&2; exit 2 ;;
esac
