{{/* Name of the Cluster API cluster: the release name, as in the real chart. */}}
{{- define "paths.clusterName" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <cluster>-<component>, cut to 63 characters. Takes (list $ "component"). */}}
{{- define "paths.componentName" -}}
{{- $ctx := index . 0 -}}
{{- printf "%s-%s" (include "paths.clusterName" $ctx) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "paths.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | quote }}
cluster.x-k8s.io/cluster-name: {{ include "paths.clusterName" . }}
{{ .Values.projectPrefix }}/cluster: {{ include "paths.clusterName" . }}
{{- end -}}

{{/* The Kubernetes version with a leading v, required like in the real chart. */}}
{{- define "paths.kubernetesVersion" -}}
v{{ .Values.kubernetesVersion | required "kubernetesVersion is required" | trimPrefix "v" }}
{{- end -}}

{{/* The credentials secret: given by name, or generated from `clouds`. */}}
{{- define "paths.cloudCredentialsSecretName" -}}
{{- if .Values.cloudCredentialsSecretName -}}
{{- .Values.cloudCredentialsSecretName -}}
{{- else if .Values.clouds -}}
{{- include "paths.componentName" (list . "cloud-credentials") -}}
{{- else -}}
{{- fail "one of cloudCredentialsSecretName or clouds is required" -}}
{{- end -}}
{{- end -}}

{{/* An OpenStackMachineTemplate spec for a machine group. Takes (list $ $machine). */}}
{{- define "paths.machineSpec" -}}
{{- $ctx := index . 0 -}}
{{- $m := index . 1 -}}
flavor: {{ $m.machineFlavor | required "machineFlavor is required" | quote }}
image:
  {{- with ($m.machineImageId | default $ctx.Values.machineImageId) }}
  id: {{ . | quote }}
  {{- else }}
  filter:
    name: {{ $m.machineImage | default $ctx.Values.machineImage | required "machineImage or machineImageId is required" | quote }}
  {{- end }}
{{- with $ctx.Values.machineSSHKeyName }}
sshKeyName: {{ . | quote }}
{{- end }}
{{- with $m.machineRootVolume }}
{{- if .diskSize }}
rootVolume:
  sizeGiB: {{ int .diskSize }}
  {{- with .volumeType }}
  type: {{ . | quote }}
  {{- end }}
  {{- with .availabilityZone }}
  availabilityZone:
    name: {{ . | quote }}
  {{- end }}
{{- end }}
{{- end }}
{{- with $m.machineNetworking }}
{{- with .ports }}
ports: {{ toYaml . | nindent 2 }}
{{- end }}
{{- end }}
{{- end -}}

{{/* A MachineHealthCheck, when enabled. Takes (list $ "component" $healthCheck $selector). */}}
{{- define "paths.healthCheck" -}}
{{- $ctx := index . 0 -}}
{{- $hc := index . 2 -}}
{{- if and $hc $hc.enabled }}
---
apiVersion: cluster.x-k8s.io/v1beta1
kind: MachineHealthCheck
metadata:
  name: {{ include "paths.componentName" (list $ctx (index . 1)) }}
  labels: {{ include "paths.labels" $ctx | nindent 4 }}
spec:
  clusterName: {{ include "paths.clusterName" $ctx }}
  selector:
    matchLabels: {{ index . 3 | toYaml | nindent 6 }}
  {{- with $hc.spec }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- end -}}
