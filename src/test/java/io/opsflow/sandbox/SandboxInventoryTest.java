package io.opsflow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The documented template ansible/inventories/sandbox/hosts.yml.example and what the sandbox generates name the same
 * groups, group variables and host variables: the playbooks are written against the template.
 */
class SandboxInventoryTest {

    @Test
    @SuppressWarnings("unchecked")
    void theTemplateDocumentsExactlyWhatTheSandboxGenerates() throws Exception {
        String generated = SandboxInventory.render(List.of(
                new SandboxInventory.Group("staging", "http://127.0.0.1:18080", "http://127.0.0.1:18080/_lb",
                        List.of(new SandboxInventory.Entry("staging-1", 2201, Path.of("/x/staging-1"), 20100))),
                new SandboxInventory.Group("production", "http://127.0.0.1:18081", "http://127.0.0.1:18081/_lb",
                        List.of(new SandboxInventory.Entry("production-1", 2211, Path.of("/x/production-1"),
                                20200)))),
                "opsflow", Path.of("/x/id_ed25519"), Path.of("/x/known_hosts"), "/usr/bin/python3",
                Path.of("/x/artifacts"));
        Map<String, Object> gen = children(new Yaml().load(generated));
        Map<String, Object> doc = children(new Yaml().load(Files.readString(
                Path.of("ansible/inventories/sandbox/hosts.yml.example"))));

        assertThat(doc.keySet()).isEqualTo(gen.keySet());
        for (String group : gen.keySet()) {
            Map<String, Object> g = (Map<String, Object>) gen.get(group);
            Map<String, Object> d = (Map<String, Object>) doc.get(group);
            assertThat(((Map<String, Object>) d.get("vars")).keySet()).as("group vars of " + group)
                    .isEqualTo(((Map<String, Object>) g.get("vars")).keySet());
        }
        Map<String, Object> genHost = host(gen, "staging", "staging-1");
        Map<String, Object> docHost = host(doc, "staging", "staging-1");
        assertThat(docHost.keySet()).as("host variables of the template's fully written host")
                .isEqualTo(genHost.keySet());
        assertThat(docHost.get("ansible_ssh_common_args")).isEqualTo(
                "-o UserKnownHostsFile=/abs/path/var/sandbox/ssh/known_hosts -o StrictHostKeyChecking=yes"
                        + " -o IdentitiesOnly=yes");
        assertThat(docHost.get("ansible_ssh_args")).isEqualTo(genHost.get("ansible_ssh_args"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> children(Object yaml) {
        return (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) yaml).get("all")).get("children");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> host(Map<String, Object> children, String group, String host) {
        return (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) children.get(group)).get("hosts"))
                .get(host);
    }
}
