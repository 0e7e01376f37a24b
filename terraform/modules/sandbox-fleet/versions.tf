terraform {
  # terraform_data is built in since Terraform 1.4 (OpenTofu 1.6); no provider is needed,
  # so this module initialises, plans and applies without network access.
  required_version = ">= 1.4.0"
}
