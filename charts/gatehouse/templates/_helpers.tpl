{{/*
Names. The base name is the literal "gatehouse", not .Chart.Name, so that another chart including
"gatehouse.container" with its own .Chart in the context computes the same ConfigMap and Secret names as
this chart does when it renders them.
*/}}
{{- define "gatehouse.name" -}}
{{- default "gatehouse" .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gatehouse.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default "gatehouse" .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gatehouse.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gatehouse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gatehouse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gatehouse.labels" -}}
helm.sh/chart: {{ include "gatehouse.chart" . }}
{{ include "gatehouse.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: {{ .Values.mode }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "gatehouse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gatehouse.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "gatehouse.configMapName" -}}
{{- include "gatehouse.fullname" . }}
{{- end }}

{{/* The Secret Gatehouse's env vars come from, or "" when there is none. */}}
{{- define "gatehouse.secretName" -}}
{{- if .Values.secret.existingSecret }}
{{- .Values.secret.existingSecret }}
{{- else if .Values.secret.create }}
{{- include "gatehouse.fullname" . }}
{{- end }}
{{- end }}

{{/* image reference: repository@digest, or repository:tag (tag defaults to the chart's appVersion). */}}
{{- define "gatehouse.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- $tag := .Values.image.tag }}
{{- if not $tag }}
{{- if ne .Chart.Name "gatehouse" }}
{{- fail "gatehouse.image.tag: set it when another chart includes gatehouse.container (its appVersion is not Gatehouse's)" }}
{{- end }}
{{- $tag = .Chart.AppVersion }}
{{- end }}
{{- printf "%s:%s" .Values.image.repository (toString $tag) }}
{{- end }}
{{- end }}

{{- define "gatehouse.appImage" -}}
{{- /* Checked here rather than in values.schema.json: a schema error cannot say which value to set, or how. */}}
{{- $repo := required "app.image.repository is empty. In sidecar mode (the default) the chart runs your app beside Gatehouse: set its image, e.g. --set app.image.repository=registry.example.com/orders --set app.image.tag=1.4.2 --set app.port=3000; or guard an existing Service instead with --set mode=gateway --set gateway.upstream=http://orders.shop.svc.cluster.local:8080" .Values.app.image.repository }}
{{- if .Values.app.image.digest }}
{{- printf "%s@%s" $repo .Values.app.image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (toString .Values.app.image.tag) }}
{{- end }}
{{- end }}

{{/*
CPU limit in whole cores, rounded up ("500m" -> 1, "1.5" -> 2, 2 -> 2); 1 when there is no limit.
*/}}
{{- define "gatehouse.cpuCores" -}}
{{- $cpu := "" }}
{{- with .Values.resources }}{{ with .limits }}{{ with .cpu }}{{ $cpu = toString . }}{{ end }}{{ end }}{{ end }}
{{- if not $cpu }}
{{- 1 }}
{{- else if hasSuffix "m" $cpu }}
{{- $milli := trimSuffix "m" $cpu | atoi }}
{{- max 1 (div (add $milli 999) 1000) }}
{{- else }}
{{- $milli := mulf (float64 $cpu) 1000 | ceil | int }}
{{- max 1 (div (add $milli 999) 1000) }}
{{- end }}
{{- end }}

{{- define "gatehouse.hashConcurrency" -}}
{{- if .Values.hashPool.concurrency }}{{ int .Values.hashPool.concurrency }}{{ else }}{{ include "gatehouse.cpuCores" . }}{{ end }}
{{- end }}

{{- define "gatehouse.uvThreadpoolSize" -}}
{{- if .Values.hashPool.uvThreadpoolSize }}{{ int .Values.hashPool.uvThreadpoolSize }}{{ else }}{{ max 4 (add (include "gatehouse.hashConcurrency" . | atoi) 2) }}{{ end }}
{{- end }}

{{- define "gatehouse.terminationGracePeriodSeconds" -}}
{{- $s := .Values.shutdown }}
{{- if $s.terminationGracePeriodSeconds }}{{ int $s.terminationGracePeriodSeconds }}{{ else }}{{ add $s.preStopSleepSeconds $s.drainDelaySeconds $s.gracePeriodSeconds $s.marginSeconds }}{{ end }}
{{- end }}

{{- define "gatehouse.dataDir" -}}
{{- dir .Values.storage.sqlite.path }}
{{- end }}

{{/*
The configuration file: chart defaults < .Values.config < what the chart must control (ports it probes,
shutdown timings it budgets for, storage it mounts, the upstream it deploys).
*/}}
{{- define "gatehouse.config" -}}
{{- if and (eq .Values.mode "gateway") (not .Values.gateway.upstream) }}
{{- fail "gateway.upstream is empty. In gateway mode Gatehouse forwards to an existing Service: set its URL, e.g. --set gateway.upstream=http://orders.shop.svc.cluster.local:8080" }}
{{- end }}
{{- $upstream := dict }}
{{- if eq .Values.mode "gateway" }}
{{- $upstream = dict "url" .Values.gateway.upstream }}
{{- else }}
{{- $upstream = dict "url" (printf "http://127.0.0.1:%d" (int .Values.app.port)) }}
{{- end }}
{{- $storage := dict "driver" .Values.storage.driver }}
{{- if eq .Values.storage.driver "sqlite" }}
{{- $_ := set $storage "sqlite" (dict "path" .Values.storage.sqlite.path) }}
{{- else }}
{{- if not (include "gatehouse.secretName" .) }}
{{- fail (printf "storage.driver %s needs the database URL from a Secret: set secret.existingSecret (or secret.create with secret.values.%s)" .Values.storage.driver .Values.storage.urlEnv) }}
{{- end }}
{{- $url := printf "${%s}" .Values.storage.urlEnv }}
{{- if eq .Values.secret.exposeAs "files" }}
{{- $url = printf "${file:%s/%s}" (trimSuffix "/" .Values.secret.mountPath) (include "gatehouse.databaseUrlKey" .) }}
{{- end }}
{{- $_ := set $storage .Values.storage.driver (dict "url" $url "pool_max" (int .Values.storage.poolMax)) }}
{{- end }}
{{- $defaults := dict "upstreams" (dict "app" $upstream) }}
{{- /* admin binds every interface here (Gatehouse's own default is loopback): probes and scrapes come to the pod IP. */}}
{{- $forced := dict
  "server" (dict
    "listen" (printf "0.0.0.0:%d" (int .Values.containerPorts.http))
    "drain_delay" (printf "%ds" (int .Values.shutdown.drainDelaySeconds))
    "grace_period" (printf "%ds" (int .Values.shutdown.gracePeriodSeconds)))
  "admin" (dict "listen" (printf "0.0.0.0:%d" (int .Values.containerPorts.admin)))
  "storage" $storage }}
{{- /* Gatehouse's own default (the cores it sees) would count the node's cores, not the pod's CPU limit. */}}
{{- $_ := set $forced "auth" (dict "hash" (dict "concurrency" (include "gatehouse.hashConcurrency" . | atoi))) }}
{{- if and (kindIs "map" .Values.config.auth) (kindIs "map" .Values.config.auth.hash) (hasKey .Values.config.auth.hash "concurrency") }}
{{- $_ := set $forced.auth.hash "concurrency" .Values.config.auth.hash.concurrency }}
{{- end }}
{{- $cfg := mergeOverwrite $defaults (deepCopy .Values.config) $forced }}
{{- toYaml $cfg }}
{{- end }}

{{/*
SHA-256 of the configuration without the settings a reload applies live (src/config/reload-plan.ts,
LIVE_SETTINGS): routes, routing, upstreams, server.trusted_proxies, server.identity_header_prefix, server.max_in_flight,
server.drain_delay, server.grace_period, logging.level, logging.access_log. It changes exactly when the pods need a restart.
*/}}
{{- define "gatehouse.restartConfigChecksum" -}}
{{- $cfg := include "gatehouse.config" . | fromYaml }}
{{- $cfg = omit $cfg "routes" "routing" "upstreams" }}
{{- if kindIs "map" $cfg.server }}
{{- $_ := set $cfg "server" (omit $cfg.server "trusted_proxies" "identity_header_prefix" "max_in_flight" "drain_delay" "grace_period") }}
{{- end }}
{{- if kindIs "map" $cfg.logging }}
{{- $_ := set $cfg "logging" (omit $cfg.logging "level" "access_log") }}
{{- end }}
{{- toJson $cfg | sha256sum }}
{{- end }}

{{/* The key of the Secret that holds the database URL: secret.env's mapping of storage.urlEnv, or urlEnv itself. */}}
{{- define "gatehouse.databaseUrlKey" -}}
{{- default .Values.storage.urlEnv (get .Values.secret.env .Values.storage.urlEnv) }}
{{- end }}

{{/* Whether the Secret is mounted as files (secret.exposeAs files or both). */}}
{{- define "gatehouse.secretFiles" -}}
{{- if and (include "gatehouse.secretName" .) (has .Values.secret.exposeAs (list "files" "both")) }}true{{ end }}
{{- end }}

{{/* Environment variables taken from the Secret (secret.exposeAs env or both). */}}
{{- define "gatehouse.secretEnv" -}}
{{- $name := include "gatehouse.secretName" . }}
{{- if and $name (has .Values.secret.exposeAs (list "env" "both")) }}
{{- $env := dict }}
{{- if and .Values.secret.create (not .Values.secret.existingSecret) }}
{{- range $k, $_ := .Values.secret.values }}{{ $_ := set $env $k $k }}{{ end }}
{{- end }}
{{- range $k, $v := .Values.secret.env }}{{ $_ := set $env $k $v }}{{ end }}
{{- range $k := keys $env | sortAlpha }}
- name: {{ $k }}
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: {{ index $env $k }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The Gatehouse container, for this chart's pods and for other charts' pods:

  containers:
    {{- include "gatehouse.container" (dict "Values" .Values.gatehouse "Release" .Release "Chart" .Chart) | nindent 4 }}
  volumes:
    {{- include "gatehouse.volumes" (dict "Values" .Values.gatehouse "Release" .Release "Chart" .Chart) | nindent 4 }}

with gatehouse as a dependency in mode "embedded" (it then renders the ConfigMap and Secret these refer to).
*/}}
{{- define "gatehouse.container" -}}
- name: gatehouse
  image: {{ include "gatehouse.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args: ["serve", "--config", "/etc/gatehouse/gatehouse.yaml"]
  ports:
    - name: http
      containerPort: {{ .Values.containerPorts.http }}
      protocol: TCP
    - name: admin
      containerPort: {{ .Values.containerPorts.admin }}
      protocol: TCP
  env:
    - name: UV_THREADPOOL_SIZE
      value: {{ include "gatehouse.uvThreadpoolSize" . | quote }}
    {{- with include "gatehouse.secretEnv" . | trim }}
    {{- . | nindent 4 }}
    {{- end }}
    {{- with .Values.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.extraEnvFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.startupProbe }}
  startupProbe:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.livenessProbe }}
  livenessProbe:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.readinessProbe }}
  readinessProbe:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if gt (int .Values.shutdown.preStopSleepSeconds) 0 }}
  lifecycle:
    preStop:
      sleep:
        seconds: {{ int .Values.shutdown.preStopSleepSeconds }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  resources:
    {{- toYaml .Values.resources | nindent 4 }}
  volumeMounts:
    - name: config
      mountPath: /etc/gatehouse
      readOnly: true
    - name: tmp
      mountPath: /tmp
    {{- if eq .Values.storage.driver "sqlite" }}
    - name: data
      mountPath: {{ include "gatehouse.dataDir" . }}
    {{- end }}
    {{- if include "gatehouse.secretFiles" . }}
    - name: secret-files
      mountPath: {{ .Values.secret.mountPath }}
      readOnly: true
    {{- end }}
    {{- with .Values.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}

{{/*
The pod volumes gatehouse.container mounts. The ConfigMap is mounted as a directory, never with subPath:
the kubelet updates a directory mount in place (an atomic symlink swap), which Gatehouse's reload watches;
a subPath mount never changes.
*/}}
{{- define "gatehouse.volumes" -}}
- name: config
  configMap:
    name: {{ include "gatehouse.configMapName" . }}
- name: tmp
  emptyDir:
    {{- with .Values.tmpVolume.sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
{{- if eq .Values.storage.driver "sqlite" }}
{{- $p := .Values.storage.sqlite.persistence }}
- name: data
{{- if $p.enabled }}
  persistentVolumeClaim:
    claimName: {{ default (printf "%s-data" (include "gatehouse.fullname" .)) $p.existingClaim }}
{{- else }}
  emptyDir: {}
{{- end }}
{{- end }}
{{- if include "gatehouse.secretFiles" . }}
{{- /* One file per key; mounted as a directory (no subPath) so the kubelet updates it in place. 0440 (288):
the owner and the pod's fsGroup read, nobody writes. */}}
- name: secret-files
  secret:
    secretName: {{ include "gatehouse.secretName" . }}
    defaultMode: 288
{{- end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The rendered ConfigMap (also for charts that embed Gatehouse). */}}
{{- define "gatehouse.configMap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "gatehouse.configMapName" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "gatehouse.labels" . | nindent 4 }}
data:
  gatehouse.yaml: |
    {{- include "gatehouse.config" . | nindent 4 }}
{{- end }}

{{/* Pod annotations: scrape hints, and checksums that must roll the pods when they change. */}}
{{- define "gatehouse.podAnnotations" -}}
{{- if .Values.metrics.podAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.containerPorts.admin | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- if and .Values.secret.create (not .Values.secret.existingSecret) }}
{{- /* Env vars from a Secret are read once at start: a changed Secret needs new pods. */}}
checksum/secret: {{ toJson .Values.secret.values | sha256sum }}
{{- end }}
{{- if .Values.rollOnConfigChange }}
checksum/config: {{ include "gatehouse.config" . | sha256sum }}
{{- end }}
{{- if .Values.rollOnRestartRequiredChange }}
{{- /* Settings Gatehouse applies only at start: a change to them rolls the pods; live ones reload in place. */}}
checksum/restart-config: {{ include "gatehouse.restartConfigChecksum" . }}
{{- end }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The PromQL selector of this release's series, without braces. */}}
{{- define "gatehouse.ruleSelector" -}}
{{- default (printf "namespace=%q" .Release.Namespace) .Values.prometheusRule.selector }}
{{- end }}

{{/*
The PromQL selector of this release's scrape targets in `up`, without braces: the job a ServiceMonitor (the
Service's name) or a PodMonitor ("<namespace>/<name>") gives them. Set prometheusRule.upSelector for another
scrape configuration (e.g. job="kubernetes-pods", app_kubernetes_io_instance="<release>").
*/}}
{{- define "gatehouse.upSelector" -}}
{{- $name := include "gatehouse.fullname" . }}
{{- default (printf "namespace=%q, job=~%q" .Release.Namespace (printf "%s|%s/%s" $name .Release.Namespace $name)) .Values.prometheusRule.upSelector }}
{{- end }}

{{/* runbook_url of an alert: the runbook section of docs/operations.md named after it. */}}
{{- define "gatehouse.runbookUrl" -}}
{{- $root := index . 0 }}{{ $alert := index . 1 }}
{{- printf "%s#%s" $root.Values.prometheusRule.runbookBaseUrl (lower $alert) }}
{{- end }}

{{/* Whether more than one pod can run (PDB, rolling updates). */}}
{{- define "gatehouse.multiReplica" -}}
{{- if or (gt (int .Values.replicaCount) 1) .Values.autoscaling.enabled }}true{{ end }}
{{- end }}
