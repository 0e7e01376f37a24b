locals {
  hosts = [
    for i in range(var.host_count) : {
      name        = format("%s-%s-%d", var.environment, var.base_name, i + 1)
      address     = var.address
      environment = var.environment
      index       = i
    }
  ]
}

# One terraform_data per simulated host. The opsflow sandbox reads the `hosts` output after an
# apply and starts (or stops) the in-process SSH hosts so the fleet matches it. Scaling down
# removes the highest-numbered hosts first because `count` drops trailing indexes.
resource "terraform_data" "host" {
  count = var.host_count

  input = local.hosts[count.index]
}
