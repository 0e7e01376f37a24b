package io.opsflow.step.ansible;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.exec.CommandTimeoutException;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.OpenSshd;
import io.opsflow.testsupport.RealComponent;

/**
 * The real ansible-playbook (Debian package ansible-core) against localhost ({@code connection: local}), a closed
 * loopback port and a real OpenSSH sshd started by the test. Uses the repository's ansible/ directory (ansible.cfg,
 * the opsflow_jsonl callback, the deploy-app/configure-host/ping playbooks).
 */
class AnsibleStepIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    Path controlPath;
    AnsibleStep step;

    @BeforeAll
    static void requireAnsible() {
        RealComponent.require("ansible-playbook", "apt-get install ansible-core");
    }

    @BeforeEach
    void setUp() throws IOException {
        AnsibleProperties props = new AnsibleProperties();
        props.setDir(Path.of("ansible"));
        step = new AnsibleStep(new CommandRunner(), props);
        // SSH multiplexing sockets per test: a master connection from another test never carries over
        controlPath = Files.createDirectories(tmp.resolve("cp"));
    }

    private Path write(String name, String content) throws IOException {
        Path p = tmp.resolve(name);
        Files.createDirectories(p.getParent());
        return Files.writeString(p, content);
    }

    private Path localInventory() throws IOException {
        return write("local.yml", """
                all:
                  hosts:
                    local-1:
                      ansible_connection: local
                """);
    }

    private PlaybookResult run(Path playbook, Path inventory, UnaryOperator<AnsibleRun.Builder> more) {
        AnsibleRun.Builder b = AnsibleRun.builder(playbook, inventory).timeout(Duration.ofMinutes(3))
                .env("ANSIBLE_SSH_CONTROL_PATH_DIR", controlPath.toString());
        StepLogs.MemoryStepLog log = StepLogs.memory();
        try {
            return step.runPlaybook(more.apply(b).build(), log);
        } catch (RuntimeException e) {
            System.err.println(String.join("\n", log.lines()));
            throw e;
        }
    }

    @Test
    void everyPlaybookPassesSyntaxCheck() throws IOException {
        Path inv = localInventory();
        try (var playbooks = Files.list(step.properties().playbooksDir())) {
            List<Path> all = playbooks.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
            assertThat(all).extracting(p -> p.getFileName().toString())
                    .contains("deploy-app.yml", "configure-host.yml", "ping.yml");
            for (Path pb : all) {
                AnsibleRun run = AnsibleRun.builder(pb, inv).build();
                List<String> argv = new java.util.ArrayList<>(List.of("ansible-playbook", "--syntax-check", "-i",
                        inv.toString(), pb.toString()));
                var result = new CommandRunner().run(io.opsflow.step.exec.CommandSpec.of(argv)
                        .env(step.environment(run)).timeout(Duration.ofMinutes(2)).build(), StepLogs.noop());
                assertThat(result.exitCode()).as(pb + ": " + result.stderrTail()).isZero();
            }
        }
    }

    @Test
    void okAndChangedTasksGiveExactPerHostStats() throws IOException {
        Path target = tmp.resolve("out/motd");
        Path pb = write("ok-changed.yml", """
                - hosts: all
                  gather_facts: false
                  tasks:
                    - name: Ping
                      ansible.builtin.ping:
                    - name: Write the motd
                      ansible.builtin.copy:
                        dest: "{{ target }}"
                        content: "hello from {{ inventory_hostname }}\\n"
                    - name: Look but do not touch
                      ansible.builtin.command: "true"
                      changed_when: false
                    - name: Never on this host
                      ansible.builtin.debug:
                        msg: nope
                      when: inventory_hostname == 'elsewhere'
                """);
        Files.createDirectories(target.getParent());
        PlaybookResult r = run(pb, localInventory(), b -> b.var("target", target.toString()));
        assertThat(r.exitCode()).isZero();
        assertThat(r.stats()).containsExactly(Map.entry("local-1", new HostStats(3, 1, 0, 0, 1, 0, 0)));
        assertThat(r.succeeded()).isTrue();
        assertThat(r.failures()).isEmpty();
        assertThat(Files.readString(target)).isEqualTo("hello from local-1\n");

        PlaybookResult again = run(pb, localInventory(), b -> b.var("target", target.toString()));
        assertThat(again.stats().get("local-1")).isEqualTo(new HostStats(3, 0, 0, 0, 1, 0, 0));
        assertThat(again.changed()).isFalse();
    }

    @Test
    void failingTaskNamesHostTaskAndMessage() throws IOException {
        Path pb = write("fail.yml", """
                - hosts: all
                  gather_facts: false
                  tasks:
                    - name: Ping
                      ansible.builtin.ping:
                    - name: Break on purpose
                      ansible.builtin.command:
                        argv: [sh, -c, "echo 'disk /data is 97% full' >&2; exit 3"]
                    - name: Never reached
                      ansible.builtin.ping:
                """);
        PlaybookResult r = run(pb, localInventory(), UnaryOperator.identity());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.failedHosts()).containsExactly("local-1");
        assertThat(r.unreachableHosts()).isEmpty();
        assertThat(r.stats().get("local-1")).isEqualTo(new HostStats(1, 0, 1, 0, 0, 0, 0));
        assertThat(r.failures()).singleElement().satisfies(f -> {
            assertThat(f.host()).isEqualTo("local-1");
            assertThat(f.task()).isEqualTo("Break on purpose");
            assertThat(f.msg()).contains("non-zero return code").contains("disk /data is 97% full");
        });
        assertThatThrownBy(r::requireSuccess).isInstanceOf(PlaybookFailedException.class)
                .hasMessageContaining("Playbook failed on local-1: local-1: Break on purpose");
    }

    @Test
    void checkDiffShowsTheChangeAndChangesNothing() throws IOException {
        Path target = write("etc/app.conf", "listen 8080\nworkers 2\n");
        Path pb = write("conf.yml", """
                - hosts: all
                  gather_facts: false
                  tasks:
                    - name: Configure the app
                      ansible.builtin.copy:
                        dest: "{{ target }}"
                        content: "listen 8080\\nworkers 4\\n"
                    - name: Create the cache directory
                      ansible.builtin.file:
                        path: "{{ cache }}"
                        state: directory
                """);
        Path cache = tmp.resolve("cache");
        PlaybookResult r = run(pb, localInventory(),
                b -> b.var("target", target.toString()).var("cache", cache.toString()).checkMode(true));
        assertThat(r.checkMode()).isTrue();
        assertThat(r.exitCode()).isZero();
        assertThat(r.stats().get("local-1").changed()).isEqualTo(2);
        assertThat(r.diffs()).extracting(TaskDiff::task).containsExactly("Configure the app", "Create the cache directory");
        assertThat(r.diffs().get(0).text()).contains("-workers 2\n+workers 4");
        assertThat(r.diffs().get(1).text()).contains("\"state\": \"absent\"").contains("\"state\": \"directory\"");
        assertThat(r.diffText(16384)).contains("=== local-1 | Configure the app");
        // nothing changed on disk
        assertThat(Files.readString(target)).isEqualTo("listen 8080\nworkers 2\n");
        assertThat(cache).doesNotExist();
    }

    @Test
    void hostileExtraVarsArriveVerbatimAndAreNeverTemplated() throws IOException {
        List<String> corpus = List.of("it's \"quoted\"", "$(id)", "`id`", "; rm -rf / #", "a && b || c",
                "line1\nline2\r\nline3", "{{ lookup('pipe', 'id') }}", "{% raw %}x{% endraw %}", "{# c #}",
                "--check", "-e @/etc/passwd", "*", "~", "back\\slash", "tab\there", "\u00fcn\u00efc\u00f8d\u00e9 \uD83D\uDE00",
                "", "null", "yes", "0x1F", "1e3", "[1, 2]", "{\"a\": 1}", "@file", "%s%n");
        Path out = Files.createDirectories(tmp.resolve("vars-out"));
        Path pb = write("vars.yml", """
                - hosts: all
                  gather_facts: false
                  tasks:
                    - name: Write the corpus as JSON
                      ansible.builtin.copy:
                        dest: "{{ out_dir }}/corpus.json"
                        content: "{{ corpus | to_json }}"
                    - name: Write one hostile value raw
                      ansible.builtin.copy:
                        dest: "{{ out_dir }}/raw.txt"
                        content: "{{ hostile }}"
                    - name: Write the typed values
                      ansible.builtin.copy:
                        dest: "{{ out_dir }}/typed.json"
                        content: "{{ typed | to_json }}"
                """);
        String hostile = "$(touch " + out.resolve("pwned") + ") `id` \"q\" 'q' {{ lookup('pipe','touch "
                + out.resolve("pwned2") + "') }}\nsecond line";
        Map<String, Object> typed = new LinkedHashMap<>();
        typed.put("port", 8081);
        typed.put("on", true);
        typed.put("ratio", 0.25);
        typed.put("none", null);
        typed.put("nested", Map.of("k{{x}}", List.of("v", 2)));
        PlaybookResult r = run(pb, localInventory(), b -> b.var("out_dir", out.toString()).var("corpus", corpus)
                .var("hostile", hostile).var("typed", typed));
        assertThat(r.succeeded()).as(r.summary()).isTrue();

        List<?> arrived = JSON.readValue(out.resolve("corpus.json").toFile(), List.class);
        assertThat(arrived).isEqualTo(corpus);
        assertThat(Files.readString(out.resolve("raw.txt"), StandardCharsets.UTF_8)).isEqualTo(hostile);
        assertThat(JSON.readValue(out.resolve("typed.json").toFile(), Map.class)).isEqualTo(typed);
        assertThat(out.resolve("pwned")).doesNotExist();
        assertThat(out.resolve("pwned2")).doesNotExist();
    }

    @Test
    void closedPortIsUnreachableAndATechnicalFailure() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            closed = s.getLocalPort();
        }
        Path inv = write("dead.yml", """
                all:
                  hosts:
                    local-1:
                      ansible_connection: local
                    dead-1:
                      ansible_host: 127.0.0.1
                      ansible_port: %d
                      ansible_user: nobody
                """.formatted(closed));
        PlaybookResult r = run(step.playbook("ping.yml"), inv, UnaryOperator.identity());
        assertThat(r.unreachableHosts()).containsExactly("dead-1");
        assertThat(r.failedHosts()).isEmpty();
        assertThat(r.stats().get("dead-1")).isEqualTo(new HostStats(0, 0, 0, 1, 0, 0, 0));
        assertThat(r.stats().get("local-1")).isEqualTo(new HostStats(1, 0, 0, 0, 0, 0, 0));
        assertThat(r.unreachable()).singleElement().satisfies(u -> {
            assertThat(u.host()).isEqualTo("dead-1");
            // ssh's own reason; with pipelining Ansible sometimes reports the broken pipe to the dead ssh instead
            assertThat(u.msg()).containsAnyOf("port " + closed + ": Connection refused", "Broken pipe");
        });
        assertThatThrownBy(r::requireSuccess).isInstanceOf(HostsUnreachableException.class)
                .hasMessageContaining("Hosts unreachable: dead-1 (dead-1: Data could not be sent to remote host");
    }

    @Test
    void syntaxErrorAndEmptyLimitAreRunErrorsNotResults() throws IOException {
        Path broken = write("broken.yml", """
                - hosts: all
                  tasks:
                    - name: Typo
                      ansible.builtin.no_such_module_xyz: {}
                """);
        assertThatThrownBy(() -> run(broken, localInventory(), UnaryOperator.identity()))
                .isInstanceOf(AnsibleRunException.class).hasMessageContaining("exited with 4")
                .hasMessageContaining("no_such_module_xyz");
        assertThatThrownBy(() -> run(step.playbook("ping.yml"), localInventory(), b -> b.limit("no-such-host")))
                .isInstanceOf(AnsibleRunException.class).hasMessageContaining("no hosts");
    }

    @Test
    void timeoutKillsTheWholeRun() throws IOException {
        String marker = "61." + System.nanoTime() % 1000;
        Path pb = write("slow.yml", """
                - hosts: all
                  gather_facts: false
                  tasks:
                    - name: Take forever
                      ansible.builtin.command: "sleep %s"
                """.formatted(marker));
        AnsibleRun run = AnsibleRun.builder(pb, localInventory()).timeout(Duration.ofSeconds(4)).build();
        assertThatThrownBy(() -> step.runPlaybook(run)).isInstanceOf(CommandTimeoutException.class);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sleeping(marker) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(sleeping(marker)).as("sleep %s still running after the timeout", marker).isFalse();
    }

    private static boolean sleeping(String marker) {
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().orElse("").contains("sleep " + marker));
    }

    /** Against a real OpenSSH sshd, exactly as ansible-playbook reaches real hosts. */
    @Nested
    class OverSsh {
        OpenSshd sshd;
        Path root;
        Path store;

        @BeforeEach
        void startSshd() throws IOException {
            sshd = OpenSshd.start();
            root = Files.createDirectories(tmp.resolve("host-root"));
            store = Files.createDirectories(tmp.resolve("artifacts"));
        }

        @org.junit.jupiter.api.AfterEach
        void stopSshd() {
            if (sshd != null) {
                sshd.close();
            }
        }

        private Path inventory(Path knownHosts) throws IOException {
            return write("ssh-" + knownHosts.getFileName() + ".yml", """
                    staging:
                      hosts:
                        staging-1:
                          ansible_host: 127.0.0.1
                          ansible_port: %d
                          ansible_user: %s
                          ansible_ssh_private_key_file: %s
                          ansible_ssh_common_args: "-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes"
                      vars:
                        app_root: %s
                        artifact_store: %s
                    """.formatted(sshd.port(), sshd.user(), sshd.clientPrivateKey(), knownHosts, root, store));
        }

        private String artifact(String app, String version) throws IOException, InterruptedException {
            Path pkg = Files.createDirectories(tmp.resolve("pkg-" + version));
            Path bin = Files.createDirectories(pkg.resolve("bin"));
            Files.createDirectories(pkg.resolve("migrations"));
            Files.writeString(pkg.resolve("migrations/001-init.sql"), "create table t (id int);\n");
            Files.writeString(pkg.resolve("VERSION"), version + "\n");
            Path exe = Files.writeString(bin.resolve(app), "#!/bin/sh\necho " + app + " " + version + "\n");
            exe.toFile().setExecutable(true);
            Path tgz = store.resolve(app + "-" + version + ".tar.gz");
            Process p = new ProcessBuilder("tar", "-C", pkg.toString(), "-czf", tgz.toString(), ".")
                    .redirectErrorStream(true).start();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(tgz)));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        private Map<String, Object> release(String version, int port) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("app", "webapp");
            v.put("version", version);
            v.put("instance", "blue");
            v.put("port", port);
            return v;
        }

        @Test
        void deployAppInstallsTheReleaseLayoutAndCheckModeShowsTheNextOneFirst() throws Exception {
            String sha110 = artifact("webapp", "1.1.0");
            artifact("webapp", "1.2.0");
            Path inv = inventory(sshd.knownHostsFile());
            Path deploy = step.playbook("deploy-app.yml");
            Path app = root.resolve("apps/webapp");

            PlaybookResult r = run(deploy, inv, b -> b.extraVars(release("1.1.0", 8081)));
            assertThat(r.succeeded()).as(r.summary() + r.failures()).isTrue();
            assertThat(r.stats().get("staging-1").changed()).isPositive();
            Path rel = app.resolve("releases/1.1.0");
            assertThat(rel.resolve("bin/webapp")).isExecutable();
            assertThat(rel.resolve("VERSION")).hasContent("1.1.0");
            assertThat(rel.resolve("migrations/001-init.sql")).exists();
            assertThat(rel.resolve(".artifact-sha256")).hasContent(sha110);
            Path inst = app.resolve("instances/blue");
            assertThat(Files.readSymbolicLink(inst.resolve("current"))).isEqualTo(Path.of("../../releases/1.1.0"));
            assertThat(inst.resolve("instance.env"))
                    .hasContent("APP=webapp\nINSTANCE=blue\nPORT=8081\nHEALTH_PATH=/health");
            assertThat(inst.resolve("run")).isDirectory();
            assertThat(inst.resolve("log")).isDirectory();
            assertThat(app.resolve("releases")).isDirectoryNotContaining(p -> p.getFileName().toString().startsWith("."));

            // --check --diff for the next version: evidence for the approver, nothing written
            PlaybookResult check = run(deploy, inv, b -> b.extraVars(release("1.2.0", 8082)).checkMode(true));
            assertThat(check.succeeded()).as(check.summary() + check.failures()).isTrue();
            assertThat(check.changed()).isTrue();
            assertThat(check.diffText(16384))
                    .contains("would install " + store + "/webapp-1.2.0.tar.gz into " + app + "/releases/1.2.0")
                    .contains("-PORT=8081\n+PORT=8082")
                    .contains("-    \"src\": \"../../releases/1.1.0\"").contains("+    \"src\": \"../../releases/1.2.0\"");
            assertThat(app.resolve("releases/1.2.0")).doesNotExist();
            assertThat(Files.readSymbolicLink(inst.resolve("current"))).isEqualTo(Path.of("../../releases/1.1.0"));
            assertThat(inst.resolve("instance.env")).content().contains("PORT=8081");

            // the real switch; the old release stays for a rollback
            PlaybookResult r2 = run(deploy, inv, b -> b.extraVars(release("1.2.0", 8082)));
            assertThat(r2.succeeded()).as(r2.summary() + r2.failures()).isTrue();
            assertThat(Files.readSymbolicLink(inst.resolve("current"))).isEqualTo(Path.of("../../releases/1.2.0"));
            assertThat(app.resolve("releases/1.1.0/bin/webapp")).exists();
            assertThat(app.resolve("releases/1.2.0/VERSION")).hasContent("1.2.0");

            // idempotent over SSH
            PlaybookResult again = run(deploy, inv, b -> b.extraVars(release("1.2.0", 8082)));
            assertThat(again.stats().get("staging-1").changed()).as(again.diffText(4000)).isZero();
        }

        /**
         * app_release_restart restarts with the service script opsflow uploaded: its copies are content-addressed
         * (service.sh-<sha256>, one per version), the newest is the one; none uploaded is a clear failure.
         */
        @Test
        void restartUsesTheNewestUploadedServiceScript() throws Exception {
            Path home = Files.createDirectories(tmp.resolve("login-home"));
            sshd.close();
            sshd = OpenSshd.start(home);
            artifact("webapp", "1.1.0");
            artifact("webapp", "1.2.0");
            Path inv = inventory(sshd.knownHostsFile());
            Path deploy = step.playbook("deploy-app.yml");
            Path calls = tmp.resolve("service-calls");
            Map<String, Object> vars = release("1.1.0", 8081);
            vars.put("app_release_restart", true);

            PlaybookResult none = run(deploy, inv, b -> b.extraVars(vars));
            assertThat(none.failures()).singleElement().satisfies(f -> assertThat(f.msg())
                    .contains(home + "/.opsflow/workers/service.sh-<none uploaded yet> is missing or not executable"));

            Path workers = Files.createDirectories(home.resolve(".opsflow/workers"));
            Path older = workers.resolve("service.sh-" + "a".repeat(64));
            Path newer = workers.resolve("service.sh-" + "b".repeat(64));
            Path notAVersion = workers.resolve("service.sh-zz");
            for (Path p : List.of(older, newer, notAVersion, workers.resolve("service.sh"))) {
                Files.writeString(p, "#!/bin/sh\necho \"" + p.getFileName() + " $*\" >>" + calls
                        + "\necho '{\"ok\":true}'\n");
                p.toFile().setExecutable(true);
            }
            Files.setLastModifiedTime(older, java.nio.file.attribute.FileTime.fromMillis(0));
            Files.setLastModifiedTime(notAVersion, java.nio.file.attribute.FileTime.fromMillis(
                    System.currentTimeMillis() + 60_000));

            Map<String, Object> next = release("1.2.0", 8081);
            next.put("app_release_restart", true);
            PlaybookResult r = run(deploy, inv, b -> b.extraVars(next));
            assertThat(r.succeeded()).as(r.summary() + r.failures()).isTrue();
            assertThat(Files.readAllLines(calls)).containsExactly(newer.getFileName() + " --root " + root
                    + " --app webapp --instance blue restart");
        }

        @Test
        void badReleaseInputFailsThePlaybookAndChangesNothing() throws Exception {
            artifact("webapp", "1.1.0");
            Path inv = inventory(sshd.knownHostsFile());
            Map<String, Object> vars = release("1.1.0", 8081);
            vars.put("instance", "../../etc");
            PlaybookResult r = run(step.playbook("deploy-app.yml"), inv, b -> b.extraVars(vars));
            assertThat(r.failedHosts()).containsExactly("staging-1");
            assertThat(r.failures().get(0).task()).isEqualTo("app_release : Validate the release parameters");
            assertThat(r.failures().get(0).msg()).contains("invalid release parameters");
            assertThat(root.resolve("apps")).doesNotExist();

            Map<String, Object> missing = release("9.9.9", 8081);
            PlaybookResult r2 = run(step.playbook("deploy-app.yml"), inv, b -> b.extraVars(missing));
            assertThat(r2.failures()).singleElement().satisfies(f -> assertThat(f.msg())
                    .contains("artifact " + store + "/webapp-9.9.9.tar.gz not found"));
            assertThat(root.resolve("apps/webapp/releases/9.9.9")).doesNotExist();
        }

        @Test
        void configureHostAndPingWorkAsAnOrdinaryUserWithoutBecome() throws Exception {
            Path inv = inventory(sshd.knownHostsFile());
            PlaybookResult ping = run(step.playbook("ping.yml"), inv, UnaryOperator.identity());
            assertThat(ping.stats()).containsExactly(Map.entry("staging-1", new HostStats(1, 0, 0, 0, 0, 0, 0)));
            PlaybookResult base = run(step.playbook("configure-host.yml"), inv, UnaryOperator.identity());
            assertThat(base.succeeded()).as(base.summary() + base.failures()).isTrue();
            assertThat(root.resolve("apps")).isDirectory();
            assertThat(root.resolve(".opsflow/workers")).isDirectory();
            assertThat(root.resolve(".opsflow/host.env")).content().contains("OPSFLOW_HOST=staging-1\n")
                    .contains("OPSFLOW_ENVIRONMENT=staging\n").contains("OPSFLOW_APP_ROOT=" + root + "\n");
            PlaybookResult again = run(step.playbook("configure-host.yml"), inv, UnaryOperator.identity());
            assertThat(again.stats().get("staging-1").changed()).isZero();
        }

        @Test
        void wrongHostKeyIsRefused() throws Exception {
            Path otherKey = tmp.resolve("other_host_key");
            OpenSshd.generateKeyPair(otherKey, "", "impostor");
            String[] pub = Files.readString(Path.of(otherKey + ".pub")).trim().split("\\s+");
            Path wrongKnownHosts = write("wrong_known_hosts", "[127.0.0.1]:" + sshd.port() + " " + pub[0] + " " + pub[1] + "\n");
            PlaybookResult r = run(step.playbook("ping.yml"), inventory(wrongKnownHosts), UnaryOperator.identity());
            assertThat(r.unreachableHosts()).containsExactly("staging-1");
            // Which of two messages Ansible reports is a race inside ansible-core (connection/ssh.py,
            // _send_initial_data): with pipelining on, the module goes to ssh's stdin; when ssh has already refused
            // the key and closed the pipe, Ansible waits 1 ms for it to exit and, on a loaded machine, reports
            // "Data could not be sent ... Broken pipe" instead of ssh's own stderr. Either way the host is refused,
            // and opsflow's message always names the host key as a cause to check.
            assertThat(r.unreachable().get(0).msg())
                    .containsAnyOf("REMOTE HOST IDENTIFICATION HAS CHANGED", "Data could not be sent to remote host");
            assertThatThrownBy(r::requireSuccess).isInstanceOf(HostsUnreachableException.class)
                    .hasMessageContaining("staging-1").hasMessageContaining("its host key is in known_hosts");
        }

        @Test
        void unknownHostKeyIsRefusedUnlessHostKeyCheckingIsOff() throws Exception {
            Path empty = write("empty_known_hosts", "");
            Path inv = write("ssh-nostrict.yml", """
                    all:
                      hosts:
                        staging-1:
                          ansible_host: 127.0.0.1
                          ansible_port: %d
                          ansible_user: %s
                          ansible_ssh_private_key_file: %s
                          ansible_ssh_common_args: "-o UserKnownHostsFile=%s"
                    """.formatted(sshd.port(), sshd.user(), sshd.clientPrivateKey(), empty));
            PlaybookResult r = run(step.playbook("ping.yml"), inv, UnaryOperator.identity());
            assertThat(r.unreachableHosts()).containsExactly("staging-1");
            // same ansible-core race as above: ssh's own message or the broken pipe
            assertThat(r.unreachable().get(0).msg())
                    .containsAnyOf("Host key verification failed", "Data could not be sent to remote host");

            Files.delete(empty);
            Files.writeString(empty, "");
            String freshControlPath = Files.createTempDirectory(tmp, "cp").toString();
            PlaybookResult off = run(step.playbook("ping.yml"), inv, b -> b.hostKeyChecking(false)
                    .env("ANSIBLE_SSH_CONTROL_PATH_DIR", freshControlPath));
            assertThat(off.succeeded()).as(off.summary()).isTrue();
        }
    }
}
