module "fleet" {
  source = "../../modules/sandbox-fleet"

  environment = var.environment
  base_name   = var.base_name
  host_count  = var.host_count
}
