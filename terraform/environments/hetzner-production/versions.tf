terraform {
  required_version = ">= 1.5.0"

  required_providers {
    hcloud = {
      source  = "hetznercloud/hcloud"
      version = "~> 1.49"
    }
  }

  # Production state must be remote and locked: two applies against one state is an outage.
  # opsflow already serialises its own runs, but people run terraform too. Example (S3-compatible
  # object storage, e.g. Hetzner Object Storage); fill in and run `terraform init -migrate-state`:
  #
  # backend "s3" {
  #   bucket                      = "opsflow-terraform-state"
  #   key                         = "hetzner-production/terraform.tfstate"
  #   region                      = "main"
  #   endpoints                   = { s3 = "https://fsn1.your-objectstorage.com" }
  #   skip_credentials_validation = true
  #   skip_region_validation      = true
  #   skip_requesting_account_id  = true
  #   use_path_style              = true
  #   use_lockfile                = true
  # }
}

# The API token is read from the HCLOUD_TOKEN environment variable; it is never a Terraform
# variable, so it can't end up in a var-file, a plan summary or a process variable. opsflow passes
# it through `opsflow.terraform.env.HCLOUD_TOKEN: env:OPSFLOW_HCLOUD_TOKEN` (a secret reference).
provider "hcloud" {}
