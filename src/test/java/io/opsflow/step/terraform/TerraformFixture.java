package io.opsflow.step.terraform;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.step.exec.CommandRunner;

/**
 * Test fixture: a copy of the repository's terraform/ tree in a temp dir (so state and plans never touch the
 * working tree), a CommandRunner whose PATH starts with a chosen directory, and the CLI double's invocation log.
 */
final class TerraformFixture {
    static final Path DOUBLE = Path.of("src/test/resources/terraform-double/terraform").toAbsolutePath();
    static final ObjectMapper JSON = new ObjectMapper();

    final Path tree;
    final Path stagingRoot;
    final Path productionRoot;
    final Path workDir;
    final Path doubleLog;
    /** The database the plan store uses (H2 in memory, one per fixture): what every engine node shares. */
    final JdbcTemplate jdbc;
    final TerraformPlans plans;

    TerraformFixture(Path tmp) {
        this.tree = tmp.resolve("terraform");
        copyTree(Path.of("terraform").toAbsolutePath(), tree);
        this.stagingRoot = tree.resolve("environments/sandbox-staging");
        this.productionRoot = tree.resolve("environments/sandbox-production");
        this.workDir = tmp.resolve("var/terraform");
        this.doubleLog = tmp.resolve("tf-double.log");
        ensureExecutable(DOUBLE);
        DriverManagerDataSource ds = new DriverManagerDataSource("jdbc:h2:mem:tfplans-" + java.util.UUID.randomUUID()
                + ";DB_CLOSE_DELAY=-1", "sa", "");
        this.jdbc = new JdbcTemplate(ds);
        this.plans = new TerraformPlans(jdbc, java.time.Duration.ofDays(1));
    }

    /** A runner whose PATH starts with {@code firstOnPath} (the double's directory, or a dir without terraform). */
    static CommandRunner runnerWithPathFirst(Path firstOnPath) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("PATH", firstOnPath + ":" + System.getenv("PATH"));
        return new CommandRunner(CommandRunner.DEFAULT_ALLOWED_ENV, env);
    }

    /** Properties for the double: binary auto-detected from PATH, invocation log via TF_DOUBLE_LOG. */
    TerraformProperties doubleProps() {
        TerraformProperties p = new TerraformProperties();
        p.setWorkDir(workDir);
        p.setEnv(new HashMap<>(Map.of("TF_DOUBLE_LOG", doubleLog.toString())));
        return p;
    }

    TerraformStep doubleStep() {
        return new TerraformStep(runnerWithPathFirst(DOUBLE.getParent()), doubleProps()).withPlans(plans);
    }

    /** Another engine node: the same database and Terraform root, its own working directory. */
    TerraformStep otherNode(Path otherWorkDir) {
        TerraformProperties p = doubleProps();
        p.setWorkDir(otherWorkDir);
        return new TerraformStep(runnerWithPathFirst(DOUBLE.getParent()), p).withPlans(plans);
    }

    /** Another engine node whose applies take {@code seconds} per resource change (TF_DOUBLE_APPLY_DELAY). */
    TerraformStep slowNode(Path otherWorkDir, int seconds) {
        TerraformProperties p = doubleProps();
        p.setWorkDir(otherWorkDir);
        p.getEnv().put("TF_DOUBLE_APPLY_DELAY", Integer.toString(seconds));
        return new TerraformStep(runnerWithPathFirst(DOUBLE.getParent()), p).withPlans(plans);
    }

    /** Every logged invocation of the double, in order. */
    List<JsonNode> invocations() {
        if (!Files.exists(doubleLog)) {
            return List.of();
        }
        try {
            List<JsonNode> out = new ArrayList<>();
            for (String line : Files.readAllLines(doubleLog)) {
                out.add(JSON.readTree(line));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<String> lastArgv() {
        List<JsonNode> inv = invocations();
        assertThat(inv).isNotEmpty();
        List<String> argv = new ArrayList<>();
        inv.get(inv.size() - 1).get("argv").forEach(a -> argv.add(a.asText()));
        return argv;
    }

    List<List<String>> allArgv() {
        List<List<String>> out = new ArrayList<>();
        for (JsonNode n : invocations()) {
            List<String> argv = new ArrayList<>();
            n.get("argv").forEach(a -> argv.add(a.asText()));
            out.add(argv);
        }
        return out;
    }

    static void copyTree(Path from, Path to) {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path rel = from.relativize(p);
                String r = rel.toString();
                if (r.contains(".terraform") || r.endsWith(".tfstate") || r.endsWith(".tfplan")
                        || r.contains(".tfstate.")) {
                    continue;
                }
                Path target = to.resolve(r);
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void ensureExecutable(Path p) {
        if (!Files.isExecutable(p)) {
            try {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
