{{/* Names, labels, the image reference and the RBAC rules shared by the templates. */}}

{{- define "osbackup.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the release name when it already says osbackup, else <release>-osbackup. */}}
{{- define "osbackup.fullname" -}}
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

{{- define "osbackup.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "osbackup.selectorLabels" -}}
app.kubernetes.io/name: {{ include "osbackup.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "osbackup.labels" -}}
helm.sh/chart: {{ include "osbackup.chart" . }}
{{ include "osbackup.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: osbackup
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "osbackup.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "osbackup.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name must name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The one image: the operator's, and the agent image of every Job it creates. */}}
{{- define "osbackup.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Name of the leader-election Lease; fixed in the operator (OperatorSettings.LEASE). */}}
{{- define "osbackup.leaseName" -}}
osbackup-operator
{{- end }}

{{/*
Rules on namespaced resources, granted in every watched namespace (or cluster-wide when watchNamespaces is empty).
Each verb is what the code calls; docs/backup-runs.md "What the operator may do in the cluster" says the same in
prose, and charts-test RbacCoversTheCodeTest checks this list against a table of the calls (file and line).
*/}}
{{- define "osbackup.namespacedRules" -}}
# BackupStores: list+watch by the backupstore controller's informer and the backuppolicy controller's store
# informer; get by name when a run, policy or restore looks its store up.
- apiGroups: ["osbackup.io"]
  resources: ["backupstores"]
  verbs: ["get", "list", "watch"]
# BackupPolicies: list+watch by the backuppolicy controller's informer; get by name when a run is planned and when a
# restore finds its backup "as of" a time.
- apiGroups: ["osbackup.io"]
  resources: ["backuppolicies"]
  verbs: ["get", "list", "watch"]
# BackupRuns: list+watch by the backuprun controller's informer and the policy controller's run informer; get by
# name (a slot's run, a restore's backupRunRef); list by label (a policy's runs) and all runs of a namespace (the
# catalog sync); create (a scheduled run, a backup found in the store); patch the osbackup.io/cancel annotation of
# the active run (concurrencyPolicy Replace; never its spec); delete the runs of backups retention removed.
- apiGroups: ["osbackup.io"]
  resources: ["backupruns"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# RestoreRequests: list+watch by the restorerequest controller's informer; list when retention looks for backups
# being restored. Never read by name.
- apiGroups: ["osbackup.io"]
  resources: ["restorerequests"]
  verbs: ["list", "watch"]
# Status of all four: written by StatusWriter with a PUT of the status subresource (optimistically locked), never
# patched.
- apiGroups: ["osbackup.io"]
  resources: ["backupstores/status", "backuppolicies/status", "backupruns/status", "restorerequests/status"]
  verbs: ["update"]
# Jobs: list+watch by the run and restore controllers' informers (label-selected to osbackup's own Jobs); create
# the backup and restore Jobs; get by name when the informer has not seen a Job yet or a create conflicts; delete a
# cancelled run's Jobs and Jobs whose pod cannot start.
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "delete"]
# Pods: list a Job's pods by label (why a pod does not start, its termination message, whether a run's pods still
# run) and a quiesced workload's pods by its selector (the restore waits until none is left, terminating ones
# included); deletecollection by label with grace period 0 (a failed or cancelled run's pods, before its uploads are
# removed). Never watched, never read or deleted by name.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list", "deletecollection"]
# Secrets: get by name the store's credentials, its manifest signing keys and a database target's login (to check
# their keys before a Job is created, to open the bucket, to sign and verify manifests). Create: a store's
# <store>-manifest-signing Secret with a random key, once, when the store names no signing Secret. Never listed,
# watched, updated or deleted, so no Secret is cached and no key is ever replaced. The names are chosen by the CR's
# author, so they cannot be pinned with resourceNames (and a create has no name to authorize).
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "create"]
# ConfigMaps: get, for a BackupStore's spec.s3.caBundle.configMapRef (the CA bundle of a store with a private CA).
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get"]
# Events: create, about osbackup's own resources (EventRecorder). Never patched or updated.
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
# Deployments and StatefulSets named in a RestoreRequest's spec.quiesce: get (replica counts) and patch
# (fabric8's edit: a GET then a JSON patch of spec.replicas, to scale to zero and back).
- apiGroups: ["apps"]
  resources: ["deployments", "statefulsets"]
  verbs: ["get", "patch"]
# HorizontalPodAutoscalers: list, when a RestoreRequest is validated, to find one whose scaleTargetRef names a
# workload to quiesce (refused unless the request marks it handled). Never watched, never written.
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["list"]
{{- end }}

{{/* Rules on cluster-scoped resources, granted by a ClusterRole in both modes. */}}
{{- define "osbackup.clusterRules" -}}
# Nodes: list when a run fans a files target out over the nodes its nodeSelector matches; get by name when a
# restore checks its destination node. Never watched.
- apiGroups: [""]
  resources: ["nodes"]
  verbs: ["get", "list"]
# The kube-system namespace, by name, once at start: its UID is the cluster id when clusterId is not set.
- apiGroups: [""]
  resources: ["namespaces"]
  resourceNames: ["kube-system"]
  verbs: ["get"]
{{- end }}
