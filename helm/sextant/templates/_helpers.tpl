{{/*
Shared names, labels and the per-service pieces. Every per-service template ranges over .Values.services and
calls these with (dict "root" $ "key" <services key> "svc" <service values>).
*/}}

{{- define "sextant.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sextant.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sextant.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "sextant.labels" -}}
helm.sh/chart: {{ include "sextant.chart" . }}
app.kubernetes.io/name: {{ include "sextant.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sextant
{{- end }}

{{/* Selects every pod of this release (NetworkPolicies: "the gateway and each other"). */}}
{{- define "sextant.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "sextant.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Name of one service's objects: <fullname>-<service name>, e.g. sextant-gateway-service. */}}
{{- define "sextant.componentName" -}}
{{- printf "%s-%s" (include "sextant.fullname" .root) .svc.name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sextant.componentSelectorLabels" -}}
{{ include "sextant.releaseSelectorLabels" .root }}
app.kubernetes.io/component: {{ .svc.name }}
{{- end }}

{{- define "sextant.componentLabels" -}}
{{ include "sextant.labels" .root }}
app.kubernetes.io/component: {{ .svc.name }}
{{- end }}

{{/* In-cluster URL of another service, by its key under .Values.services. */}}
{{- define "sextant.upstreamUrl" -}}
{{- $up := index .root.Values.services .upstream }}
{{- printf "http://%s:%v" (include "sextant.componentName" (dict "root" .root "svc" $up)) $up.port }}
{{- end }}

{{- define "sextant.authSecretName" -}}
{{- .Values.auth.existingSecret | default (printf "%s-auth" (include "sextant.fullname" .)) }}
{{- end }}

{{- define "sextant.databaseSecretName" -}}
{{- .Values.database.existingSecret | default (printf "%s-database" (include "sextant.fullname" .)) }}
{{- end }}

{{- define "sextant.image" -}}
{{- $tag := .root.Values.image.tag | default .root.Chart.AppVersion }}
{{- if eq .key "inference" }}
{{- $tag = printf "%s-%s" $tag (ternary "cuda" "cpu" .svc.gpu.enabled) }}
{{- end }}
{{- $repo := dig "image" "repository" "" .svc | default (printf "%s/%s" .root.Values.image.registry .svc.name) }}
{{- printf "%s:%s" $repo (dig "image" "tag" "" .svc | default $tag) }}
{{- end }}
