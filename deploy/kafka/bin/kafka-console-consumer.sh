#!/usr/bin/env bash
# Apache Kafka's console consumer, from the broker jars `make run` assembled (.local/cache),
# as kafka-console-consumer.sh of a Kafka distribution. For the local platform:
#   deploy/kafka/bin/kafka-console-consumer.sh --bootstrap-server 127.0.0.1:59092 \
#     --consumer.config .local/kafka-client.properties --group kemnaker-pusdatin.console \
#     --topic sinergi.job-market.v1 --from-beginning
# SINERGI_KAFKA_LIBS overrides where the jars are.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
libs="${SINERGI_KAFKA_LIBS:-}"
if [ -z "$libs" ]; then
  for dir in "$root"/.local/cache/kafka-*/libs; do libs="$dir"; done
fi
if [ -z "$libs" ] || [ ! -d "$libs" ]; then
  echo "no Kafka jars under $root/.local/cache: run 'make run' once first" >&2
  exit 1
fi
exec java -Xmx256m -cp "$libs/*" org.apache.kafka.tools.consumer.ConsoleConsumer "$@"
