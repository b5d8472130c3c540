{{/*
The platform's processes, topics and Kafka users (platform.yaml, generated from the service
declarations by `python -m sinergi_local.helm platform`).
*/}}
{{- define "sinergi.platform" -}}
{{- .Files.Get "platform.yaml" -}}
{{- end -}}

{{/* A resource's name: "<release>-<part>", within Kubernetes' 63 characters. */}}
{{- define "sinergi.name" -}}
{{- printf "%s-%s" .root.Release.Name .part | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Helm's recommended labels; "component" names the process or part. */}}
{{- define "sinergi.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: sinergi
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{/* The labels a process's pods are selected by (never change on upgrade). */}}
{{- define "sinergi.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* A process's settings: values.defaults overlaid by values.processes.<name>. */}}
{{- define "sinergi.processValues" -}}
{{- $own := get .root.Values.processes .process.name | default dict -}}
{{- mergeOverwrite (deepCopy .root.Values.defaults) (deepCopy $own) | toYaml -}}
{{- end -}}

{{- define "sinergi.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "sinergi.kafkaBootstrap" -}}
{{- if .Values.kafka.create -}}
{{ .Values.kafka.name }}-kafka-bootstrap:9093
{{- else -}}
{{ required "kafka.bootstrap is required when kafka.create is false" .Values.kafka.bootstrap }}
{{- end -}}
{{- end -}}

{{- define "sinergi.kafkaCaSecret" -}}
{{- if .Values.kafka.create -}}
{{ .Values.kafka.name }}-cluster-ca-cert
{{- else -}}
{{ required "kafka.caSecret is required when kafka.create is false" .Values.kafka.caSecret }}
{{- end -}}
{{- end -}}

{{/*
The CloudNativePG cluster holding a process's database: the cluster that lists the process,
else the first one that lists none. Args: root, process.
*/}}
{{- define "sinergi.postgresCluster" -}}
{{- $own := "" -}}
{{- $rest := "" -}}
{{- range $cluster := .root.Values.postgresql.clusters -}}
{{- if has $.process.name ($cluster.processes | default list) -}}{{- $own = $cluster.name -}}{{- end -}}
{{- if and (not $cluster.processes) (not $rest) -}}{{- $rest = $cluster.name -}}{{- end -}}
{{- end -}}
{{- $own | default $rest | required (printf "no postgresql.clusters entry takes %s" .process.name) -}}
{{- end -}}

{{/* Where a process reaches PostgreSQL: its cluster's pooler in front of the primary. */}}
{{- define "sinergi.postgresHost" -}}
{{- if .root.Values.postgresql.create -}}
{{ include "sinergi.postgresCluster" . }}-pooler-rw
{{- else -}}
{{ required "postgresql.host is required when postgresql.create is false" .root.Values.postgresql.host }}
{{- end -}}
{{- end -}}

{{/* Where the migrations reach PostgreSQL: the primary itself (DDL, no pooler). */}}
{{- define "sinergi.postgresPrimary" -}}
{{- if .root.Values.postgresql.create -}}
{{ include "sinergi.postgresCluster" . }}-rw
{{- else -}}
{{ .root.Values.postgresql.host }}
{{- end -}}
{{- end -}}

{{- define "sinergi.postgresSecret" -}}
{{ .root.Values.secrets.postgresPrefix }}{{ .process.name }}
{{- end -}}

{{/*
The settings every process reads (shared.settings.Settings): its database (the password from
its role's Secret, spliced into the URL by Kubernetes' $(VAR) expansion), Kafka (SASL_SSL with
the cluster's CA, SCRAM-SHA-512 as its own principal), the person_ref and data keys, the JWT
keys, tracing. Args: root, process, host (the database host).
*/}}
{{- define "sinergi.env" -}}
{{- $root := .root -}}
- name: SINERGI_ENVIRONMENT
  value: {{ $root.Values.environment | quote }}
- name: SINERGI_SERVICE_NAME
  value: {{ .process.module | quote }}
- name: SINERGI_DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "sinergi.postgresSecret" . }}
      key: password
- name: SINERGI_DATABASE_URL
  value: "postgresql://{{ .process.role }}:$(SINERGI_DATABASE_PASSWORD)@{{ .host }}:5432/{{ .process.database }}"
- name: SINERGI_KAFKA_BOOTSTRAP
  value: {{ include "sinergi.kafkaBootstrap" $root | quote }}
- name: SINERGI_KAFKA_SECURITY_PROTOCOL
  value: SASL_SSL
- name: SINERGI_KAFKA_SASL_MECHANISM
  value: SCRAM-SHA-512
- name: SINERGI_KAFKA_SSL_CAFILE
  value: /etc/sinergi/kafka-ca/ca.crt
- name: SINERGI_KAFKA_USERNAME
  value: {{ .process.kafkaUser | quote }}
- name: SINERGI_KAFKA_PASSWORD
  valueFrom:
    secretKeyRef:
      {{- if $root.Values.secrets.kafkaPasswords }}
      name: {{ $root.Values.secrets.kafkaPasswords }}
      key: {{ .process.kafkaUser }}
      {{- else }}
      name: {{ .process.kafkaUser }}
      key: password
      {{- end }}
- name: SINERGI_PERSON_REF_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.secrets.application }}
      key: person-ref-secret
- name: SINERGI_DATA_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.secrets.application }}
      key: data-keys
- name: SINERGI_JWT_PUBLIC_KEY_PATH
  value: /etc/sinergi/jwt/jwt-public.pem
- name: SINERGI_JWT_PRIVATE_KEY_PATH
  value: /etc/sinergi/jwt/jwt-private.pem
- name: SINERGI_PARTICIPATING_REGIONS
  value: {{ $root.Values.participatingRegions | quote }}
- name: SINERGI_REPORTING_ON_TIME_DAYS
  value: {{ $root.Values.reportingOnTimeDays | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ printf "sinergi-%s" .process.name | quote }}
{{- with $root.Values.telemetry.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ $root.Values.telemetry.sampler | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ $root.Values.telemetry.samplerArg | quote }}
{{- end }}
{{- end -}}

{{/*
The volumes every process mounts: the JWT keys (the private one only where tokens are signed,
the gateway), Kafka's CA, a writable /tmp. Args: root, process.
*/}}
{{- define "sinergi.volumes" -}}
- name: jwt
  secret:
    secretName: {{ .root.Values.secrets.jwt }}
    items:
      - key: jwt-public.pem
        path: jwt-public.pem
      {{- if .process.gateway }}
      - key: jwt-private.pem
        path: jwt-private.pem
      {{- end }}
- name: kafka-ca
  secret:
    secretName: {{ include "sinergi.kafkaCaSecret" .root }}
    items:
      - key: ca.crt
        path: ca.crt
- name: tmp
  emptyDir: {}
{{- end -}}

{{- define "sinergi.volumeMounts" -}}
- name: jwt
  mountPath: /etc/sinergi/jwt
  readOnly: true
- name: kafka-ca
  mountPath: /etc/sinergi/kafka-ca
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end -}}
