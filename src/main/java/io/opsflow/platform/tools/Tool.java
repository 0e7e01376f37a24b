package io.opsflow.platform.tools;

import java.util.List;

/**
 * A command-line tool a runbook runs on the opsflow host: the names it may be found under (the first found on PATH
 * wins, or an absolute path), and the line that installs it on this kind of machine.
 */
public record Tool(String name, List<String> candidates, String install) {

    public Tool {
        candidates = List.copyOf(candidates);
    }

    public static Tool of(String name, String install) {
        return new Tool(name, List.of(name), install);
    }

    public static final Tool ANSIBLE_PLAYBOOK = of("ansible-playbook", "apt-get install -y ansible-core");
    public static final Tool CERTBOT = of("certbot", "apt-get install -y certbot");
    public static final Tool NGINX = new Tool("nginx", List.of("nginx", "/usr/sbin/nginx"), "apt-get install -y nginx");
}
