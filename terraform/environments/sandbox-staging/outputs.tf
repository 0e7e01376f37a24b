output "environment" {
  description = "The environment these hosts belong to."
  value       = var.environment
}

output "hosts" {
  description = "Hosts of the environment: list of { name, address, environment, index }."
  value       = module.fleet.hosts
}

output "host_count" {
  description = "Number of hosts."
  value       = module.fleet.host_count
}
