output "name" {
  value = terraform_data.redis.output.name
}

output "namespace" {
  value = terraform_data.redis.output.namespace
}

output "replicas" {
  value = terraform_data.redis.output.replicas
}

output "module_version" {
  description = "the release of the module that ran"
  value       = local.module_version
}
