variable "environment" {
  description = "Name of the opsflow environment the hosts belong to (e.g. staging, production)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.environment))
    error_message = "The environment must match ^[a-z][a-z0-9-]{0,31}$."
  }
}

variable "base_name" {
  description = "Middle part of the host names: hosts are named <environment>-<base_name>-<n>, n starting at 1."
  type        = string
  default     = "web"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.base_name))
    error_message = "The base_name must match ^[a-z][a-z0-9-]{0,31}$."
  }
}

variable "host_count" {
  description = "Number of simulated hosts in the environment."
  type        = number

  validation {
    condition     = var.host_count >= 0 && var.host_count <= 20 && floor(var.host_count) == var.host_count
    error_message = "The host_count must be a whole number between 0 and 20."
  }
}

variable "address" {
  description = "Address every simulated host listens on (the sandbox runs all hosts on loopback, one SSH port each)."
  type        = string
  default     = "127.0.0.1"
}
