# `hosts` and `host_count` have the same shape as the sandbox roots' outputs, so opsflow's
# provision-infrastructure runbook reads real and simulated environments alike.

output "environment" {
  description = "The environment these hosts belong to."
  value       = var.environment
}

output "hosts" {
  description = "Application servers: list of { name, address (public IPv4), private_address, environment, index }."
  value = [
    for i, s in hcloud_server.app : {
      name            = s.name
      address         = s.ipv4_address
      private_address = cidrhost(var.subnet_cidr, 10 + i)
      environment     = var.environment
      index           = i
    }
  ]
}

output "host_count" {
  description = "Number of application servers."
  value       = length(hcloud_server.app)
}

output "load_balancer_ipv4" {
  description = "Public IPv4 of the load balancer (point the DNS A record here)."
  value       = hcloud_load_balancer.web.ipv4
}

output "load_balancer_url" {
  description = "Base URL of the application through the load balancer."
  value       = local.tls ? "https://${var.domain_names[0]}" : "http://${hcloud_load_balancer.web.ipv4}"
}
