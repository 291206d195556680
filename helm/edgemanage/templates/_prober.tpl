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
    command: ["node", "/app/dist/src/cli/main.js"]
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
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- end }}
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
  - name: data
    persistentVolumeClaim:
      claimName: {{ include "edgemanage.pvcName" $ctx }}
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
