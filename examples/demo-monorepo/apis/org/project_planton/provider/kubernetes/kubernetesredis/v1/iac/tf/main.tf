locals {
  name      = var.metadata.name
  namespace = try(var.spec.namespace.value, var.metadata.name)
  replicas  = try(var.spec.container.replicas, 1)
}

# A stand-in for the Kubernetes resources of the real module: it records its inputs in the state.
resource "terraform_data" "redis" {
  input = {
    kind      = "KubernetesRedis"
    name      = local.name
    namespace = local.namespace
    replicas  = local.replicas
  }
}
