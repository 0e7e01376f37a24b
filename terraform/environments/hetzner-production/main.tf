locals {
  labels = {
    env        = var.environment
    managed_by = "terraform"
    owner      = "opsflow"
  }
  tls = length(var.domain_names) > 0
}

resource "hcloud_ssh_key" "deploy" {
  name       = "${var.environment}-opsflow-deploy"
  public_key = var.ssh_public_key
  labels     = local.labels
}

# --- network -----------------------------------------------------------------------------------

resource "hcloud_network" "private" {
  name     = "${var.environment}-private"
  ip_range = var.network_cidr
  labels   = local.labels
}

resource "hcloud_network_subnet" "app" {
  network_id   = hcloud_network.private.id
  type         = "cloud"
  network_zone = var.network_zone
  ip_range     = var.subnet_cidr
}

# --- firewall ----------------------------------------------------------------------------------
# Hetzner Cloud firewalls filter the public interfaces only. Application traffic reaches the
# servers from the load balancer over the private network, so no public HTTP rule is needed:
# the servers expose nothing but SSH (from admin_cidrs) and ICMP.

resource "hcloud_firewall" "app" {
  name   = "${var.environment}-app"
  labels = local.labels

  rule {
    description = "SSH from opsflow and admin networks"
    direction   = "in"
    protocol    = "tcp"
    port        = "22"
    source_ips  = var.admin_cidrs
  }

  rule {
    description = "ICMP (path MTU discovery, ping)"
    direction   = "in"
    protocol    = "icmp"
    source_ips  = ["0.0.0.0/0", "::/0"]
  }
}

# --- servers -----------------------------------------------------------------------------------

resource "hcloud_placement_group" "app" {
  name   = "${var.environment}-app"
  type   = "spread"
  labels = local.labels
}

resource "hcloud_server" "app" {
  count = var.host_count

  name               = format("%s-%s-%d", var.environment, var.base_name, count.index + 1)
  server_type        = var.server_type
  image              = var.image
  location           = var.location
  ssh_keys           = [hcloud_ssh_key.deploy.id]
  firewall_ids       = [hcloud_firewall.app.id]
  placement_group_id = hcloud_placement_group.app.id
  backups            = var.backups
  labels             = merge(local.labels, { role = "app" })
  user_data          = templatefile("${path.module}/cloud-init.yaml.tftpl", { ssh_public_key = var.ssh_public_key })

  public_net {
    ipv4_enabled = true
    ipv6_enabled = true
  }

  network {
    network_id = hcloud_network.private.id
    ip         = cidrhost(var.subnet_cidr, 10 + count.index)
  }

  # Attaching a server directly to a network needs the subnet to exist first.
  depends_on = [hcloud_network_subnet.app]

  lifecycle {
    # Image updates and cloud-init changes must not replace running servers: those are handled
    # by the Ansible base playbook and the release runbooks, not by re-creating hosts.
    ignore_changes = [image, user_data, ssh_keys]
  }
}

# --- load balancer -----------------------------------------------------------------------------

resource "hcloud_load_balancer" "web" {
  name               = "${var.environment}-web"
  load_balancer_type = var.load_balancer_type
  location           = var.location
  labels             = local.labels
}

resource "hcloud_load_balancer_network" "web" {
  load_balancer_id = hcloud_load_balancer.web.id
  subnet_id        = hcloud_network_subnet.app.id
  ip               = cidrhost(var.subnet_cidr, 2)
}

# Targets by label: servers added by a larger host_count join the pool without another change here.
resource "hcloud_load_balancer_target" "app" {
  load_balancer_id = hcloud_load_balancer.web.id
  type             = "label_selector"
  label_selector   = "env=${var.environment},role=app"
  use_private_ip   = true

  depends_on = [hcloud_load_balancer_network.web]
}

resource "hcloud_managed_certificate" "web" {
  count = local.tls ? 1 : 0

  name         = "${var.environment}-web"
  domain_names = var.domain_names
  labels       = local.labels
}

resource "hcloud_load_balancer_service" "web" {
  load_balancer_id = hcloud_load_balancer.web.id
  protocol         = local.tls ? "https" : "http"
  listen_port      = local.tls ? 443 : 80
  destination_port = var.app_port

  dynamic "http" {
    for_each = local.tls ? [1] : []
    content {
      certificates  = [hcloud_managed_certificate.web[0].id]
      redirect_http = true
    }
  }

  health_check {
    protocol = "http"
    port     = var.app_port
    interval = 10
    timeout  = 5
    retries  = 3

    http {
      path         = var.health_path
      status_codes = ["200"]
    }
  }
}
