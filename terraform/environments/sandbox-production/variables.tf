variable "environment" {
  description = "opsflow environment this root manages. One root per environment keeps their states apart."
  type        = string
  default     = "production"
}

variable "host_count" {
  description = "Number of simulated hosts (provision-infrastructure passes it as hostCount -> host_count)."
  type        = number
  default     = 3
}

variable "base_name" {
  description = "Middle part of the host names: <environment>-<base_name>-<n>."
  type        = string
  default     = "web"
}
