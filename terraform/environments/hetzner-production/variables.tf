variable "environment" {
  description = "opsflow environment name; prefixes every resource name and is set as the env label."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.environment))
    error_message = "The environment must match ^[a-z][a-z0-9-]{0,31}$."
  }
}

variable "base_name" {
  description = "Middle part of the server names: <environment>-<base_name>-<n> (same scheme as the sandbox)."
  type        = string
  default     = "web"
}

variable "host_count" {
  description = "Number of application servers behind the load balancer (horizontal scaling)."
  type        = number
  default     = 3

  validation {
    condition     = var.host_count >= 1 && var.host_count <= 20 && floor(var.host_count) == var.host_count
    error_message = "The host_count must be a whole number between 1 and 20."
  }
}

variable "server_type" {
  description = "Hetzner server type of the application servers (vertical scaling), e.g. cx23, cx33, cax11, cax21."
  type        = string
  default     = "cx33"
}

variable "image" {
  description = "OS image of the servers. The Ansible playbooks and workers/ scripts support Debian and Ubuntu."
  type        = string
  default     = "debian-12"
}

variable "location" {
  description = "Hetzner location of servers and load balancer (fsn1, nbg1, hel1)."
  type        = string
  default     = "fsn1"
}

variable "network_zone" {
  description = "Network zone of the private subnet; must contain the location (eu-central for fsn1/nbg1/hel1)."
  type        = string
  default     = "eu-central"
}

variable "network_cidr" {
  description = "IP range of the private network."
  type        = string
  default     = "10.10.0.0/16"
}

variable "subnet_cidr" {
  description = "IP range of the application subnet inside network_cidr. Servers get .10, .11, ...; the load balancer .2."
  type        = string
  default     = "10.10.1.0/24"
}

variable "ssh_public_key" {
  description = "Public key of the opsflow deploy user (the matching private key is opsflow's ssh key-ref)."
  type        = string
}

variable "admin_cidrs" {
  description = "Source networks allowed to reach SSH (22/tcp): the opsflow nodes and the admins' VPN. Never 0.0.0.0/0."
  type        = list(string)

  validation {
    condition     = length(var.admin_cidrs) > 0 && !contains(var.admin_cidrs, "0.0.0.0/0") && !contains(var.admin_cidrs, "::/0")
    error_message = "The admin_cidrs must list at least one network and must not open SSH to the world."
  }
}

variable "app_port" {
  description = "Port the application instances listen on; the load balancer forwards to it over the private network."
  type        = number
  default     = 8080
}

variable "health_path" {
  description = "HTTP path the load balancer health check requests on every target."
  type        = string
  default     = "/health"
}

variable "load_balancer_type" {
  description = "Hetzner load balancer type (lb11, lb21, lb31)."
  type        = string
  default     = "lb11"
}

variable "domain_names" {
  description = "Domains for a Hetzner managed (Let's Encrypt) certificate. Empty: plain HTTP on port 80 only."
  type        = list(string)
  default     = []
}

variable "backups" {
  description = "Enable Hetzner's daily server backups (in addition to opsflow's database and directory backups)."
  type        = bool
  default     = true
}
