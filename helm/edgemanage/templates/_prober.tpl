{{/*
The prober's pod spec, shared by the CronJob (mode: cronjob), the Deployment (mode: deployment) and
the helm test pods. Call with (list $ctx $name $net), or (list $ctx $name $net ARGS) for a pod that
runs the edgemanage command ARGS once, with the same configuration, state and credentials.
*/}}
{{- define "edgemanage.proberPodSpec" -}}
{{- $ctx := index . 0 }}{{ $name := index . 1 }}{{ $net := index . 2 }}{{ $v := $ctx.Values }}
{{- $command := list }}{{ if gt (len .) 3 }}{{ $command = index . 3 }}{{ end }}
{{- $daemon := and (eq $v.mode "deployment") (not $command) }}
restartPolicy: {{ ternary "Always" "Never" $daemon }}
serviceAccountName: {{ include "edgemanage.serviceAccountName" $ctx }}
automountServiceAccountToken: false
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $v.podSecurityContext | nindent 2 }}
containers:
  - name: edgemanage
    image: {{ include "edgemanage.image" $ctx | quote }}
    imagePullPolicy: {{ $v.image.pullPolicy }}
    command: ["node", "--max-semi-space-size=8", "--initial-old-space-size=64", "/app/dist/bundle/cli/main.js"]
    args:
      {{- if $command }}
      {{- range $command }}
      - {{ . | quote }}
      {{- end }}
      {{- else }}
      - -A
      - {{ $name }}
      - -c
      - /etc/edgemanage/edgemanage.yaml
      {{- if $daemon }}
      - --daemonise
      {{- end }}
      {{- range $v.extraArgs }}
      - {{ . | quote }}
      {{- end }}
      {{- end }}
    {{- include "edgemanage.env" $ctx | nindent 4 }}
    {{- if $daemon }}
    ports:
      - name: metrics
        containerPort: {{ $v.metrics.port }}
    livenessProbe:
      httpGet:
        path: /healthz
        port: metrics
      # /healthz fails once no run has ended for 3 × run_frequency.
      periodSeconds: 30
      failureThreshold: 3
    {{- end }}
    securityContext:
      {{- toYaml $v.securityContext | nindent 6 }}
    resources:
      {{- toYaml $v.resources | nindent 6 }}
    volumeMounts:
      - name: config
        mountPath: /etc/edgemanage
        readOnly: true
      - name: data
        mountPath: {{ include "edgemanage.dataDir" $ctx }}
      - name: tmp
        mountPath: /tmp
      {{- if $v.dnssec.existingSecret }}
      - name: dnssec-keys
        mountPath: {{ include "edgemanage.dnssecDir" $ctx }}
        readOnly: true
      {{- end }}
volumes:
  # edgemanage.yaml, this network's edge list, include files and canaries, and the test
  # object, laid out as the classic tool expects them.
  - name: config
    projected:
      sources:
        - configMap:
            name: {{ include "edgemanage.fullname" $ctx }}-config
            items:
              - key: edgemanage.yaml
                path: edgemanage.yaml
        - configMap:
            name: {{ include "edgemanage.fullname" $ctx }}-net-{{ $name }}
            items:
              - key: edges
                path: edges/{{ $name }}
              {{- range $domain, $_ := $net.zones }}
              - key: zone.{{ $domain }}
                path: zones/{{ $name }}/{{ $domain }}.zone
              {{- end }}
              {{- if $net.canaries }}
              - key: canaries.yaml
                path: canaries/{{ $name }}.yaml
              {{- end }}
        - configMap:
            name: {{ default (printf "%s-testobject" (include "edgemanage.fullname" $ctx)) $v.testObject.existingConfigMap }}
            items:
              - key: {{ $v.testObject.key }}
                path: testobject/object
  {{- if eq (include "edgemanage.zoneTransport" $ctx) "volume" }}
  - name: data
    persistentVolumeClaim:
      claimName: {{ include "edgemanage.pvcName" $ctx }}
  {{- else }}
  # zones.transport s3: the zones written here are a scratch copy; the bucket carries them to bind.
  - name: data
    emptyDir:
      sizeLimit: 256Mi
  {{- end }}
  {{- with $v.dnssec.existingSecret }}
  # The zones' key pairs: read by dnssec-signzone only, never logged, stored or uploaded.
  - name: dnssec-keys
    secret:
      secretName: {{ . }}
      defaultMode: 0440
  {{- end }}
  # The lock file; the root file system is read-only.
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The S3 credentials (state.existingSecret) and extraEnv: every container that reads the bucket. */}}
{{- define "edgemanage.env" -}}
{{- $v := .Values }}
{{- if or $v.state.existingSecret $v.extraEnv }}
env:
  {{- with $v.state.existingSecret }}
  - name: AWS_ACCESS_KEY_ID
    valueFrom:
      secretKeyRef:
        name: {{ . }}
        key: AWS_ACCESS_KEY_ID
  - name: AWS_SECRET_ACCESS_KEY
    valueFrom:
      secretKeyRef:
        name: {{ . }}
        key: AWS_SECRET_ACCESS_KEY
  {{- end }}
  {{- with $v.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- end }}

{{/*
`edgemanage zones pull` in a bind pod (zones.transport s3), keeping the folder the reloader reads.
Call with (list $ctx "init") for one pull before named starts, or (list $ctx "sidecar").
*/}}
{{- define "edgemanage.pullContainer" -}}
{{- $ctx := index . 0 }}{{ $v := $ctx.Values }}{{ $sidecar := eq (index . 1) "sidecar" }}
image: {{ include "edgemanage.image" $ctx | quote }}
imagePullPolicy: {{ $v.image.pullPolicy }}
command: ["node", "--max-semi-space-size=8", "--initial-old-space-size=64", "/app/dist/bundle/cli/main.js"]
args:
  - zones
  - pull
  - --to
  - {{ include "edgemanage.zonesDir" $ctx }}
  - -c
  - /etc/edgemanage/edgemanage.yaml
  {{- range keys $v.networks | sortAlpha }}
  - --network
  - {{ . }}
  {{- end }}
  {{- if $sidecar }}
  - --every
  - {{ $v.zones.pull.intervalSeconds | quote }}
  - --listen
  - {{ printf "0.0.0.0:%v" $v.zones.pull.port | quote }}
  {{- else }}
  - --once
  {{- end }}
{{- include "edgemanage.env" $ctx | nindent 0 }}
{{- if $sidecar }}
ports:
  - { name: pull-metrics, containerPort: {{ $v.zones.pull.port }} }
# Alive while its loop answers. Not /healthz, and no readiness: an unreachable bucket must not take
# a bind that serves the last good zones out of the Service (/healthz and the metrics tell of it).
livenessProbe:
  httpGet: { path: /metrics, port: pull-metrics }
  initialDelaySeconds: 10
  periodSeconds: 30
  failureThreshold: 4
{{- end }}
securityContext:
  {{- toYaml $v.securityContext | nindent 2 }}
resources:
  {{- toYaml $v.zones.pull.resources | nindent 2 }}
volumeMounts:
  - { name: config, mountPath: /etc/edgemanage, readOnly: true }
  - { name: data, mountPath: {{ include "edgemanage.dataDir" $ctx }} }
{{- end }}
