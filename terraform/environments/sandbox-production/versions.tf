terraform {
  required_version = ">= 1.4.0"

  # Local state in this directory (terraform.tfstate). The sandbox has no remote backend; a real
  # environment would use one with locking (see ../hetzner-production/versions.tf).
}
