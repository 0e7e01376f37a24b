variable "environment" {
  description = "opsflow environment this root manages. One root per environment keeps their states apart."
  type        = string
  default     = "staging"
}

variable "host_count" {
  description = "Number of simulated hosts (provision-infrastructure passes it as hostCount -> host_count)."
  type        = number
  default     = 2
}

variable "base_name" {
  description = "Middle part of the host names: <environment>-<base_name>-<n>."
  type        = string
  default     = "web"
}
