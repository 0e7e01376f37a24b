output "hosts" {
  description = "The hosts of the environment: list of objects { name, address, environment, index }."
  value       = [for h in terraform_data.host : h.output]
}

output "host_count" {
  description = "Number of hosts in the environment."
  value       = length(terraform_data.host)
}
