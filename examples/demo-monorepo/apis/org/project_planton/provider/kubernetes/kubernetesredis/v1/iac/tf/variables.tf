variable "metadata" {
  description = "metadata of the KubernetesRedis manifest (name, labels, ...)"
  type        = any
}

variable "spec" {
  description = "spec of the KubernetesRedis manifest"
  type        = any
}
