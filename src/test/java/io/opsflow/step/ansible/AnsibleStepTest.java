package io.opsflow.step.ansible;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.opsflow.step.exec.BinaryNotFoundException;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.exec.StepLogs;

/** Unit tests: argv, environment, input validation, extra-vars file, callback output parsing. No Ansible needed. */
class AnsibleStepTest {
    @TempDir
    Path tmp;
    Path playbook;
    Path inventory;
    AnsibleStep step;
    AnsibleProperties props;

    @BeforeEach
    void setUp() throws IOException {
        playbook = Files.writeString(tmp.resolve("site.yml"), "- hosts: all\n  tasks: []\n");
        inventory = Files.writeString(tmp.resolve("hosts.yml"), "all: {}\n");
        props = new AnsibleProperties();
        props.setDir(Path.of("ansible"));
        step = new AnsibleStep(new CommandRunner(), props);
    }

    @Test
    void argvIsExactlyInventoryLimitExtraVarsCheckPlaybook() {
        AnsibleRun run = AnsibleRun.builder(playbook, inventory).limit("staging").checkMode(true).var("app", "x")
                .build();
        Path vars = tmp.resolve("vars.yml");
        assertThat(step.argv(run, vars)).containsExactly("ansible-playbook", "-i", inventory.toString(), "--limit",
                "staging", "-e", "@" + vars, "--check", "--diff", playbook.toString());

        AnsibleRun plain = AnsibleRun.builder(playbook, inventory).build();
        assertThat(step.argv(plain, vars)).containsExactly("ansible-playbook", "-i", inventory.toString(), "-e",
                "@" + vars, playbook.toString());
    }

    @Test
    void environmentPinsCallbackConfigColoursAndHostKeyChecking() {
        Map<String, String> env = step.environment(AnsibleRun.builder(playbook, inventory).env("ANSIBLE_SSH_ARGS", "-C")
                .build());
        Path dir = Path.of("ansible").toAbsolutePath().normalize();
        assertThat(env).containsEntry("ANSIBLE_HOST_KEY_CHECKING", "True")
                .containsEntry("ANSIBLE_STDOUT_CALLBACK", "opsflow_jsonl")
                .containsEntry("ANSIBLE_CONFIG", dir.resolve("ansible.cfg").toString())
                .containsEntry("ANSIBLE_CALLBACK_PLUGINS", dir.resolve("callback_plugins").toString())
                .containsEntry("ANSIBLE_NOCOLOR", "1").containsEntry("ANSIBLE_FORCE_COLOR", "0")
                .containsEntry("ANSIBLE_RETRY_FILES_ENABLED", "False").containsEntry("ANSIBLE_SSH_ARGS", "-C");
        assertThat(step.environment(AnsibleRun.builder(playbook, inventory).hostKeyChecking(false).build()))
                .containsEntry("ANSIBLE_HOST_KEY_CHECKING", "False");
        assertThat(Path.of(env.get("ANSIBLE_CONFIG"))).exists();
        assertThat(Path.of(env.get("ANSIBLE_CALLBACK_PLUGINS")).resolve("opsflow_jsonl.py")).exists();
    }

    @Test
    void controlledEnvironmentCannotBeOverridden() {
        assertThatThrownBy(() -> AnsibleRun.builder(playbook, inventory).env("ANSIBLE_HOST_KEY_CHECKING", "False")
                .build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ANSIBLE_HOST_KEY_CHECKING");
        assertThatThrownBy(() -> AnsibleRun.builder(playbook, inventory).env("BAD NAME", "x").build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"staging", "staging-1", "staging-1,staging-2", "staging:&web", "all:!production-2",
            "!staging-2", "web[0:2]", "staging-*", "db_1.example.com", "production,&production-1"})
    void limitAcceptsHostAndGroupPatterns(String limit) {
        assertThat(AnsibleRun.builder(playbook, inventory).limit(limit).build().limit()).isEqualTo(limit);
    }

    @ParameterizedTest
    @ValueSource(strings = {"~prod.*", "@/etc/passwd", "-x", "--list-hosts", "a b", "a;id", "$(id)", "`id`",
            "a\nb", "staging,", ",staging", "staging::web", "a'b", "a\"b", "../x", "web[0:2", "a|b", "a&&b"})
    void limitRejectsEverythingElse(String limit) {
        assertThatThrownBy(() -> AnsibleRun.builder(playbook, inventory).limit(limit).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("limit:");
    }

    @Test
    void blankLimitMeansNoLimitAndHugeLimitIsRefused() {
        assertThat(AnsibleRun.builder(playbook, inventory).limit("  ").build().limit()).isNull();
        assertThatThrownBy(() -> AnsibleRun.builder(playbook, inventory).limit("a".repeat(1001)).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void playbookNamesAreConfinedToAnsiblePlaybooks() {
        assertThat(step.playbook("ping.yml")).isEqualTo(props.playbooksDir().resolve("ping.yml"));
        for (String bad : List.of("../ping.yml", "ping.yaml", "Ping.yml", "sub/ping.yml", "-x.yml", ".yml",
                "ping.yml\n", "/etc/passwd", "ping.yml;id", "")) {
            assertThatThrownBy(() -> step.playbook(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("playbook:");
        }
        assertThatThrownBy(() -> step.playbook("no-such-playbook.yml")).hasMessageContaining("no such playbook");
        assertThatThrownBy(() -> step.playbook(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void missingPlaybookOrInventoryIsRefused() {
        assertThatThrownBy(() -> AnsibleRun.builder(tmp.resolve("nope.yml"), inventory).build())
                .hasMessageStartingWith("playbook: no such file");
        assertThatThrownBy(() -> AnsibleRun.builder(playbook, tmp.resolve("nope")).build())
                .hasMessageStartingWith("inventory: no such file");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ansible_ssh_common_args", "ansible_host", "ansible_become_exe", "hostvars", "groups",
            "omit", "inventory_hostname", "1app", "app-name", "a b", "", "app\n"})
    void extraVarNamesRejectAnsibleSettingsAndMagicVariables(String name) {
        assertThatThrownBy(() -> AnsibleRun.builder(playbook, inventory).var(name, "x").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("extraVars:");
    }

    @Test
    void extraVarsFileMarksEveryStringUnsafeAndEscapesEverything() {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("app", "webapp");
        vars.put("port", 8081);
        vars.put("ratio", 0.5);
        vars.put("big", new BigDecimal("12.50"));
        vars.put("on", true);
        vars.put("none", null);
        vars.put("evil", "a\"b\\c\n$(id) `id` {{ lookup('pipe','id') }} \u00e9\u0007 \uD83D\uDE00");
        vars.put("list", List.of("x", 1, Map.of("k{{x}}", "v")));
        assertThat(ExtraVarsFile.render(vars)).isEqualTo("""
                # opsflow extra vars: every string is !unsafe (never templated)
                app: !unsafe "webapp"
                port: 8081
                ratio: 0.5
                big: 12.50
                on: true
                none: null
                evil: !unsafe "a\\"b\\\\c\\n$(id) `id` {{ lookup('pipe','id') }} \\u00e9\\u0007 \\U0001f600"
                list: [!unsafe "x", 1, {!unsafe "k{{x}}": !unsafe "v"}]
                """);
        assertThat(ExtraVarsFile.render(Map.of())).isEqualTo("{}\n");
    }

    @Test
    void extraVarsFileRefusesWhatItCannotWriteFaithfully() {
        assertThatThrownBy(() -> ExtraVarsFile.render(Map.of("x", Double.NaN))).hasMessageContaining("finite");
        assertThatThrownBy(() -> ExtraVarsFile.render(Map.of("x", "a\uD800b"))).hasMessageContaining("surrogate");
        assertThatThrownBy(() -> ExtraVarsFile.render(Map.of("x", new Object()))).hasMessageContaining("unsupported");
        assertThatThrownBy(() -> ExtraVarsFile.render(Map.of("x", Map.of(1, "a")))).hasMessageContaining("non-string key");
        Object deep = "leaf";
        for (int i = 0; i < 40; i++) {
            deep = List.of(deep);
        }
        Object tooDeep = deep;
        assertThatThrownBy(() -> ExtraVarsFile.render(Map.of("x", tooDeep))).hasMessageContaining("deeper");
    }

    @Test
    void extraVarsFileIsOwnerOnly() throws IOException {
        Path f = tmp.resolve("ev.yml");
        ExtraVarsFile.write(f, Map.of("a", "b"));
        assertThat(Files.getPosixFilePermissions(f)).containsExactlyInAnyOrder(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void parsesRecordedCallbackOutput() throws IOException {
        String out = fixture();
        PlaybookOutputParser.Parsed p = PlaybookOutputParser.parse("not json\n" + out + "{\"event\": broken\n", 16384);
        assertThat(p.stats()).containsOnlyKeys("web-1", "web-2", "web-3");
        assertThat(p.stats().get("web-1")).isEqualTo(new HostStats(5, 2, 0, 0, 1, 0, 1));
        assertThat(p.stats().get("web-2")).isEqualTo(new HostStats(3, 1, 1, 0, 1, 0, 1));
        assertThat(p.stats().get("web-3")).isEqualTo(new HostStats(0, 0, 0, 1, 0, 0, 0));
        // ignored failures are not failures
        assertThat(p.failures()).containsExactly(
                new TaskFailure("web-2", "Check the disk", "non-zero return code\nstderr: disk /data is 97% full"));
        assertThat(p.unreachable()).hasSize(1);
        assertThat(p.unreachable().get(0).host()).isEqualTo("web-3");
        assertThat(p.unreachable().get(0).msg()).contains("port 1: Connection refused");
        assertThat(p.diffs()).extracting(TaskDiff::host, TaskDiff::task).containsExactly(
                org.assertj.core.groups.Tuple.tuple("web-1", "Write the motd"),
                org.assertj.core.groups.Tuple.tuple("web-2", "Write the motd"),
                org.assertj.core.groups.Tuple.tuple("web-1", "Only on web-1"));
        assertThat(p.diffs().get(1).text()).contains("-welcome to nowhere\n+welcome to web-2");
        assertThat(p.diffs().get(2).text()).isEqualTo("would restart web-1");

        PlaybookResult r = new PlaybookResult(4, p.stats(), p.failures(), p.unreachable(), p.diffs(), false);
        assertThat(r.failedHosts()).containsExactly("web-2");
        assertThat(r.unreachableHosts()).containsExactly("web-3");
        assertThat(r.changed()).isTrue();
        assertThat(r.succeeded()).isFalse();
        assertThat(r.statsJson()).startsWith("{\"web-1\":{\"ok\":5,\"changed\":2,\"failed\":0,\"unreachable\":0,"
                + "\"skipped\":1,\"rescued\":0,\"ignored\":1},\"web-2\":");
        assertThatThrownBy(r::requireSuccess).isInstanceOf(PlaybookFailedException.class)
                .hasMessageContaining("web-2: Check the disk: non-zero return code")
                .hasMessageContaining("unreachable: web-3");
        String text = r.diffText(16384);
        assertThat(text).contains("=== web-2 | Write the motd\n").contains("=== web-1 | Only on web-1\nwould restart web-1");
        String cut = r.diffText(120);
        assertThat(cut).hasSizeLessThanOrEqualTo(120).contains("more characters cut");
    }

    @Test
    void unreachableOnlyIsATechnicalFailureNamingHostAndReason() {
        PlaybookResult r = new PlaybookResult(4, Map.of("web-3", new HostStats(0, 0, 0, 1, 0)), List.of(),
                List.of(new TaskFailure("web-3", "Ping", "ssh: connect to host 127.0.0.1 port 1: Connection refused")),
                List.of(), false);
        assertThatThrownBy(r::requireSuccess).isInstanceOf(HostsUnreachableException.class)
                .hasMessageContaining("Hosts unreachable: web-3 (web-3: ssh: connect to host 127.0.0.1 port 1");
    }

    @Test
    void diffEvidenceIsBoundedWhileParsing() {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            out.append("{\"event\": \"diff\", \"host\": \"h").append(i).append("\", \"task\": \"t\", \"diff\": \"")
                    .append("x".repeat(1000)).append("\"}\n");
        }
        PlaybookOutputParser.Parsed p = PlaybookOutputParser.parse(out.toString(), 5000);
        assertThat(p.diffs().stream().mapToInt(d -> d.text().length()).sum()).isLessThanOrEqualTo(5000);
        assertThat(p.stats()).isNull();
    }

    @Test
    void missingBinaryIsBinaryNotFound() {
        props.setBinary("/nonexistent/bin/ansible-playbook");
        AnsibleRun run = AnsibleRun.builder(playbook, inventory).build();
        assertThatThrownBy(() -> step.runPlaybook(run, StepLogs.memory()))
                .isInstanceOf(BinaryNotFoundException.class).hasMessageContaining("ansible-playbook");
    }

    @Test
    void environmentGroupConfinesTheLimit() {
        assertThat(AnsiblePlaybookDelegate.effectiveLimit(null, "staging", true)).isEqualTo("staging");
        assertThat(AnsiblePlaybookDelegate.effectiveLimit("staging-1", "staging", true)).isEqualTo("staging-1,&staging");
        assertThat(AnsiblePlaybookDelegate.effectiveLimit("a,b", "staging", true)).isEqualTo("a,b,&staging");
        assertThat(AnsiblePlaybookDelegate.effectiveLimit("a:!b", "staging", true)).isEqualTo("a:!b:&staging");
        assertThat(AnsiblePlaybookDelegate.effectiveLimit("web[0:2]", "staging", true)).isEqualTo("web[0:2],&staging");
        assertThat(AnsiblePlaybookDelegate.effectiveLimit("a", "staging", false)).isEqualTo("a");
        assertThat(AnsiblePlaybookDelegate.effectiveLimit(null, null, true)).isNull();
        assertThatThrownBy(() -> AnsiblePlaybookDelegate.effectiveLimit("$(id)", "staging", true))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void extraVarsComeAsMapOrJsonObject() {
        assertThat(AnsiblePlaybookDelegate.extraVars("{\"app\":\"webapp\",\"port\":8081,\"l\":[1,\"x\"]}"))
                .containsEntry("app", "webapp").containsEntry("port", 8081).containsEntry("l", List.of(1, "x"));
        assertThat(AnsiblePlaybookDelegate.extraVars(Map.of("a", "b"))).containsEntry("a", "b");
        assertThat(AnsiblePlaybookDelegate.extraVars(null)).isEmpty();
        assertThatThrownBy(() -> AnsiblePlaybookDelegate.extraVars("[1,2]")).hasMessageContaining("JSON object");
        assertThatThrownBy(() -> AnsiblePlaybookDelegate.extraVars("{not json")).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> AnsiblePlaybookDelegate.extraVars(new ArrayList<>())).hasMessageContaining("Map");
        assertThat(AnsiblePlaybookDelegate.timeout("PT20M")).isEqualTo(Duration.ofMinutes(20));
        assertThatThrownBy(() -> AnsiblePlaybookDelegate.timeout("20m")).hasMessageContaining("ISO-8601");
        assertThatThrownBy(() -> AnsiblePlaybookDelegate.timeout("PT0S")).hasMessageContaining("positive");
    }

    private String fixture() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("callback-output.jsonl")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
