{{/* Names, truncated to what Kubernetes allows. */}}
{{- define "edgemanage.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "edgemanage.fullname" -}}
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

{{/*
A CronJob name may have 52 characters (the controller appends 11 for its Jobs). A longer
"fullname-network" is cut and given a hash of the whole, so two networks never share a name.
Call with (list $ctx $network).
*/}}
{{- define "edgemanage.cronjobName" -}}
{{- $ctx := index . 0 }}
{{- $full := printf "%s-%s" (include "edgemanage.fullname" $ctx) (index . 1) }}
{{- if le (len $full) 52 }}
{{- $full }}
{{- else }}
{{- printf "%s-%s" ($full | trunc 43 | trimSuffix "-") ($full | sha256sum | trunc 8) }}
{{- end }}
{{- end }}

{{- define "edgemanage.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "edgemanage.selectorLabels" -}}
app.kubernetes.io/name: {{ include "edgemanage.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "edgemanage.labels" -}}
helm.sh/chart: {{ include "edgemanage.chart" . }}
{{ include "edgemanage.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "edgemanage.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "edgemanage.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "edgemanage.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "edgemanage.bindImage" -}}
{{- $i := .Values.bind.image }}
{{- printf "%s:%s%s" $i.repository $i.tag (ternary (printf "@%s" $i.digest) "" (ne $i.digest "")) }}
{{- end }}

{{/* How zones reach bind: s3 (through the state bucket) or volume (a shared claim). */}}
{{- define "edgemanage.zoneTransport" -}}
{{- $t := .Values.zones.transport | default (ternary "s3" "volume" (ne .Values.state.s3.bucket "")) }}
{{- if and (eq $t "s3") (not .Values.state.s3.bucket) }}{{ fail "zones.transport is s3: set state.s3.bucket (the zones travel through the state bucket), or zones.transport: volume" }}{{ end }}
{{- $t }}
{{- end }}

{{- define "edgemanage.pvcName" -}}
{{- default (printf "%s-zones" (include "edgemanage.fullname" .)) .Values.zones.persistence.existingClaim }}
{{- end }}


{{/* Where things are inside the pods. */}}
{{- define "edgemanage.dataDir" -}}/var/lib/edgemanage{{- end }}
{{- define "edgemanage.zonesDir" -}}/var/lib/edgemanage/zones{{- end }}
{{- define "edgemanage.servingDir" -}}/var/lib/bind/zones{{- end }}
{{- define "edgemanage.dnssecDir" -}}/etc/edgemanage-dnssec{{- end }}

{{/* The DNS Service as the pods reach it: HOST:PORT. */}}
{{- define "edgemanage.dnsServer" -}}
{{- printf "%s-dns.%s.svc:%v" (include "edgemanage.fullname" .) .Release.Namespace .Values.bind.service.port }}
{{- end }}

{{/* Every zone of every network, sorted, once each. */}}
{{- define "edgemanage.allZones" -}}
{{- $zones := list }}
{{- range $name, $net := .Values.networks }}
{{- $zones = concat $zones (keys $net.zones) }}
{{- end }}
{{- $zones | uniq | sortAlpha | join " " }}
{{- end }}

{{/*
edgemanage.yaml: the operator's `config` with the settings the chart owns filled in. Relative paths
are taken from the file's folder, /etc/edgemanage, where the ConfigMaps are projected.
*/}}
{{- define "edgemanage.configYaml" -}}
{{- $c := deepCopy .Values.config }}
{{- $to := deepCopy (.Values.config.testobject | default dict) }}
{{- $_ := set $to "local" "testobject/object" }}
{{- $_ := set $c "testobject" $to }}
{{- $_ := set $c "edgelist_dir" "edges" }}
{{- $_ := set $c "zonetemplate_dir" "zones" }}
{{- $_ := set $c "canary_files" "canaries/{dnet}.yaml" }}
{{- $_ := set $c "named_dir" (include "edgemanage.zonesDir" .) }}
{{- $_ := set $c "lockfile" "/tmp/edgemanage.lock" }}
{{- $_ := set $c "healthdata_store" "/tmp/healthdata" }}
{{- $counts := dict }}
{{- range $name, $net := .Values.networks }}
{{- if $net.edgeCount }}{{ $_ := set $counts $name $net.edgeCount }}{{ end }}
{{- end }}
{{- $_ := set $c "dnet_edge_count" $counts }}
{{- $_ := set $c "zone_transport" (include "edgemanage.zoneTransport" .) }}
{{- $d := deepCopy (.Values.config.dnssec | default dict) }}
{{- if .Values.dnssec.existingSecret }}
{{- $_ := set $d "keys" (include "edgemanage.dnssecDir" .) }}
{{- else if $d.enabled }}
{{- fail "config.dnssec.enabled: set dnssec.existingSecret, the Secret of the zones' key pairs (edgemanage dnssec keygen prints the command that makes it)" }}
{{- end }}
{{- if $d }}{{ $_ := set $c "dnssec" $d }}{{ end }}
{{- $s3 := .Values.state.s3 }}
{{- with .Values.vantage }}
{{- if .name }}
{{- if not $s3.bucket }}{{ fail "vantage.name is set: several vantage points need state.s3.bucket (they share observations and decisions through it)" }}{{ end }}
{{- $v := dict "name" .name "peers" .peers "stale_after" .staleAfter "interval" .interval }}
{{- if .quorum }}{{ $_ := set $v "quorum" .quorum }}{{ end }}
{{- $_ := set $c "vantage" $v }}
{{- end }}
{{- end }}
{{- $m := deepCopy (.Values.config.metrics | default dict) }}
{{- if eq .Values.mode "deployment" }}
{{- $_ := set $m "listen" (printf "0.0.0.0:%v" .Values.metrics.port) }}
{{- end }}
{{- /* Every run exports the serial bind serves beside the one it wrote (EdgemanageZoneNotServed). */}}
{{- if and .Values.bind.enabled (not $m.dns_server) }}
{{- $_ := set $m "dns_server" (include "edgemanage.dnsServer" .) }}
{{- end }}
{{- if $m }}
{{- $_ := set $c "metrics" $m }}
{{- end }}
{{- if $s3.bucket }}
{{- $_ := set $c "statefile" "/tmp/{dnet}.state" }}
{{- $state := dict "backend" "s3" "bucket" $s3.bucket "key" $s3.key "region" $s3.region "force_path_style" $s3.forcePathStyle "on_unreadable" $s3.onUnreadable }}
{{- if $s3.endpoint }}{{ $_ := set $state "endpoint" $s3.endpoint }}{{ end }}
{{- $_ := set $c "state" $state }}
{{- else }}
{{- $_ := set $c "statefile" (printf "%s/state/{dnet}.state" (include "edgemanage.dataDir" .)) }}
{{- $_ := set $c "state" (dict "backend" "file") }}
{{- end }}
{{- toYaml $c }}
{{- end }}

{{/*
The alert rules (files/edgemanage.rules.yml) with this release's values: thresholds from
metrics.alerts (latency from config.goodenough, certificates from config.cert_warn_days by default),
and an absent() rule naming every network, so one that never reports is caught.
*/}}
{{- define "edgemanage.rules" -}}
{{- $a := .Values.metrics.alerts }}
{{- $latency := $a.latencySeconds | default .Values.config.goodenough | default 0.7 }}
{{- $certDays := $a.certWarnDays | default .Values.config.cert_warn_days | default 14 }}
{{- $absent := list }}
{{- range (keys .Values.networks | sortAlpha) }}
{{- $absent = append $absent (printf "absent(edgemanage_last_run_timestamp_seconds{dnet=\"%s\"})" .) }}
{{- end }}
{{- if not $absent }}{{ $absent = list "absent(edgemanage_last_run_timestamp_seconds)" }}{{ end }}
{{- .Files.Get "files/edgemanage.rules.yml"
  | replace "${NEVER_REPORTED_EXPR}" (join " or " $absent)
  | replace "${NEVER_REPORTED_FOR}" $a.neverReportedFor
  | replace "${STALE_AFTER_SECONDS}" (toString $a.staleAfterSeconds)
  | replace "${ROTATIONS_PER_HOUR}" (toString $a.rotationsPerHour)
  | replace "${LATENCY_SECONDS}" (toString $latency)
  | replace "${CERT_WARN_SECONDS}" (toString (mul $certDays 86400)) }}
{{- end }}
