package io.opsflow.step.terraform;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.BinaryNotFoundException;
import io.opsflow.step.exec.CommandFailedException;
import io.opsflow.step.exec.CommandResult;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.exec.CommandSpec;
import io.opsflow.step.exec.SecretRef;
import io.opsflow.step.exec.StepLog;

/**
 * Drives a Terraform (or OpenTofu) root: init, plan to a saved plan file, summary from {@code show -json}, apply of
 * exactly that plan, outputs. Typed and engine-free; the delegates in this package are thin wrappers.
 *
 * <p>Variables never reach the command line: they are validated ({@link #VAR_NAME}) and JSON-serialized into a
 * {@code -var-file} the step writes. Apply re-hashes the plan file and refuses unless the SHA-256 is the approved
 * one; it applies a private copy of the verified bytes, so the file cannot be swapped between check and use.
 *
 * <p>With a {@link TerraformPlans} store (always in the application) every plan is also stored in the database,
 * keyed by run and SHA-256, and {@link #applyStored} applies the approved plan from there: any engine node can apply a
 * plan made and approved while another node ran the run.
 */
@Component
public class TerraformStep {
    /** Terraform variable names opsflow passes: lower snake case, at most 64 characters. */
    public static final Pattern VAR_NAME = Pattern.compile("^[a-z][a-z0-9_]{0,63}$");
    public static final String PLAN_FILE = "plan.tfplan";
    public static final String DESTROY_PLAN_FILE = "destroy.tfplan";
    public static final String VAR_FILE = "vars.tfvars.json";
    public static final String SENSITIVE = "(sensitive)";
    private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final CommandRunner runner;
    private final TerraformProperties props;
    private final Path workDir;
    private volatile String resolvedBinary;
    private TerraformPlans plans;

    @Autowired
    public TerraformStep(CommandRunner runner, TerraformProperties props,
                         @Value("${opsflow.var-dir:var}") String varDir) {
        this.runner = runner;
        this.props = props;
        this.workDir = (props.getWorkDir() != null ? props.getWorkDir() : Path.of(varDir, "terraform"))
                .toAbsolutePath().normalize();
    }

    public TerraformStep(CommandRunner runner, TerraformProperties props) {
        this(runner, props, "var");
    }

    /** Stores every plan in the database (and enables {@link #applyStored}). */
    @Autowired(required = false)
    public TerraformStep withPlans(TerraformPlans store) {
        this.plans = store;
        return this;
    }

    public TerraformProperties properties() {
        return props;
    }

    /**
     * Resolves a configured root: absolute as is; relative first under {@code opsflow.terraform.dir}
     * (e.g. {@code environments/sandbox-staging}), else against the working directory
     * (e.g. {@code terraform/environments/sandbox-staging}).
     */
    public Path resolveRoot(String configured) {
        Path p = Path.of(configured);
        if (p.isAbsolute()) {
            return p.normalize();
        }
        Path underDir = props.getDir() == null ? null : props.getDir().resolve(p).toAbsolutePath().normalize();
        if (underDir != null && Files.isDirectory(underDir)) {
            return underDir;
        }
        return p.toAbsolutePath().normalize();
    }

    /** {@code terraform init -input=false -no-color} in the root. */
    public CommandResult init(Path root, StepLog log) {
        requireRoot(root);
        CommandResult r = exec(List.of("init", "-input=false", "-no-color"), root, props.getInitTimeout(), log);
        if (r.exitCode() != 0) {
            throw new CommandFailedException(r.exitCode(), r.maskedArgv(), r.stderrTail());
        }
        return r;
    }

    /** Plans the root with {@code vars} into {@code <runDir>/plan.tfplan} and summarises it. */
    public PlanSummary plan(Path root, Map<String, ?> vars, Path runDir, StepLog log) {
        return plan(root, vars, runDir, false, log);
    }

    /** Plans the destruction of everything in the root's state into {@code <runDir>/destroy.tfplan}. */
    public PlanSummary destroyPlan(Path root, Map<String, ?> vars, Path runDir, StepLog log) {
        return plan(root, vars, runDir, true, log);
    }

    PlanSummary plan(Path root, Map<String, ?> vars, Path runDir, boolean destroy, StepLog log) {
        return plan(root, vars, runDir, destroy, true, log);
    }

    private PlanSummary plan(Path root, Map<String, ?> vars, Path runDir, boolean destroy, boolean store,
                             StepLog log) {
        requireRoot(root);
        Path dir = runDir.toAbsolutePath().normalize();
        Path varFile = writeVarFile(vars, dir);
        Path planFile = dir.resolve(destroy ? DESTROY_PLAN_FILE : PLAN_FILE);
        try {
            Files.deleteIfExists(planFile);
            Files.deleteIfExists(appliedMarker(planFile));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the previous plan file " + planFile, e);
        }
        List<String> args = new ArrayList<>(List.of("plan", "-input=false", "-no-color", lockTimeoutFlag()));
        if (destroy) {
            args.add("-destroy");
        }
        args.add("-var-file=" + varFile);
        args.add("-out=" + planFile);
        args.add("-detailed-exitcode");
        CommandResult r = exec(args, root, props.getPlanTimeout(), log);
        boolean hasChanges = switch (r.exitCode()) {
            case 0 -> false;
            case 2 -> true;
            default -> throw new CommandFailedException(r.exitCode(), r.maskedArgv(), r.stderrTail());
        };
        if (!Files.isRegularFile(planFile)) {
            throw new IllegalStateException("terraform plan exited " + r.exitCode() + " but wrote no plan file "
                    + planFile);
        }
        readOnly(planFile);
        String sha = sha256(planFile);
        if (plans != null && store) {
            try {
                plans.save(dir.getFileName().toString(), sha, destroy, Files.readAllBytes(planFile));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read plan file " + planFile, e);
            }
        }
        PlanSummary summary = summarize(root, planFile, sha, hasChanges, log);
        log.info("plan " + planFile + " sha256=" + sha + ": " + summary.describe().replace("\n", "; "));
        return summary;
    }

    /** Reads a saved plan with {@code show -json} (stdout kept out of the step log: it can hold values). */
    public PlanSummary summarize(Path root, Path planFile, String sha256, boolean hasChanges, StepLog log) {
        CommandResult r = exec(List.of("show", "-json", planFile.toString()), root, props.getReadTimeout(),
                new QuietLog(log));
        if (r.exitCode() != 0) {
            throw new CommandFailedException(r.exitCode(), r.maskedArgv(), r.stderrTail());
        }
        return parsePlanJson(r.stdout(), planFile, sha256, hasChanges);
    }

    /** Parses {@code show -json} of a plan (format_version 1.x) into a summary. */
    public static PlanSummary parsePlanJson(String json, Path planFile, String sha256, boolean hasChanges) {
        JsonNode doc;
        try {
            doc = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("terraform show -json did not print JSON: " + e.getOriginalMessage(), e);
        }
        String format = doc.path("format_version").asText("");
        if (!format.startsWith("1.")) {
            throw new IllegalStateException("unsupported plan JSON format_version '" + format
                    + "' (expected 1.x) from terraform show -json " + planFile);
        }
        int add = 0;
        int change = 0;
        int destroy = 0;
        List<ResourceChange> changes = new ArrayList<>();
        for (JsonNode rc : doc.path("resource_changes")) {
            List<String> actions = new ArrayList<>();
            rc.path("change").path("actions").forEach(a -> actions.add(a.asText()));
            if (actions.isEmpty() || actions.equals(List.of("no-op")) || actions.equals(List.of("read"))) {
                continue;
            }
            if (actions.contains("create")) {
                add++;
            }
            if (actions.contains("delete")) {
                destroy++;
            }
            if (actions.contains("update")) {
                change++;
            }
            changes.add(new ResourceChange(rc.path("address").asText(), actions));
        }
        return new PlanSummary(add, change, destroy, changes, planFile, sha256, hasChanges);
    }

    /**
     * Applies {@code planFile} if and only if its SHA-256 is {@code expectedSha256}. Applies a private copy of the
     * verified bytes. Refusals are {@link PlanMismatchException}s; other failures are technical exceptions.
     */
    public ApplyResult apply(Path root, Path planFile, String expectedSha256, StepLog log) {
        requireRoot(root);
        if (expectedSha256 == null || expectedSha256.isBlank()) {
            throw new PlanMismatchException(PlanMismatchException.Reason.NO_APPROVED_HASH, planFile,
                    "refusing to apply " + planFile + ": no approved plan SHA-256 was given");
        }
        if (planFile == null || !Files.isRegularFile(planFile)) {
            throw new PlanMismatchException(PlanMismatchException.Reason.MISSING, planFile,
                    "refusing to apply: the approved plan file " + planFile + " does not exist; plan again and"
                            + " have the new plan approved");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(planFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read plan file " + planFile, e);
        }
        String actual = sha256(bytes);
        if (!actual.equalsIgnoreCase(expectedSha256.strip())) {
            throw new PlanMismatchException(PlanMismatchException.Reason.HASH_DIFFERS, planFile,
                    "refusing to apply " + planFile + ": its SHA-256 is " + actual + " but the approved plan's is "
                            + expectedSha256.strip() + "; the file changed after approval. Plan again and have the"
                            + " new plan approved");
        }
        Path marker = appliedMarker(planFile);
        if (Files.isRegularFile(marker) && readString(marker).startsWith(actual)) {
            log.info("plan " + planFile + " (sha256=" + actual + ") was already applied by this run ("
                    + readString(marker).strip() + "); not applying it twice");
            return new ApplyResult(planFile, actual, true);
        }
        applyVerified(root, bytes, actual, planFile.resolveSibling("apply-" + actual.substring(0, 16) + ".tfplan"),
                planFile.toString(), log);
        writeString(marker, actual + " applied " + Instant.now() + "\n");
        return new ApplyResult(planFile, actual, false);
    }

    /**
     * Applies the run's stored plan whose SHA-256 is {@code approvedSha256} (see {@link TerraformPlans}), on this
     * node: the bytes are read from the database, verified against the approved SHA-256, written to a private
     * temporary file in this node's run directory, applied, and the file removed. Refusals ({@link
     * PlanMismatchException}): no approved hash; MISSING (the run has no stored plan); HASH_DIFFERS (the approved
     * SHA-256 is not the run's plan, or the stored bytes do not hash to it); STALE. A plan already applied is not
     * applied twice. A root not initialised on this node (the plan was made on another) is initialised first.
     */
    public ApplyResult applyStored(Path root, String runId, String approvedSha256, StepLog log) {
        requireRoot(root);
        if (plans == null) {
            throw new IllegalStateException("no Terraform plan store configured");
        }
        Path dir = runDir(runId);
        String what = "the plan of run " + runId;
        if (approvedSha256 == null || approvedSha256.isBlank()) {
            throw new PlanMismatchException(PlanMismatchException.Reason.NO_APPROVED_HASH, null,
                    "refusing to apply " + what + ": no approved plan SHA-256 was given");
        }
        String approved = approvedSha256.strip().toLowerCase(java.util.Locale.ROOT);
        TerraformPlans.Stored stored = plans.find(runId, approved).orElseThrow(() -> {
            List<String> shas = plans.shas(runId);
            return shas.isEmpty()
                    ? new PlanMismatchException(PlanMismatchException.Reason.MISSING, null, "refusing to apply: run "
                    + runId + " has no stored plan; plan again and have the new plan approved")
                    : new PlanMismatchException(PlanMismatchException.Reason.HASH_DIFFERS, null, "refusing to apply "
                    + what + ": the approved SHA-256 " + approved + " is not a plan of this run (stored: " + shas
                    + "); plan again and have the new plan approved");
        });
        String actual = sha256(stored.plan());
        if (!actual.equals(approved)) {
            throw new PlanMismatchException(PlanMismatchException.Reason.HASH_DIFFERS, null, "refusing to apply "
                    + what + ": the stored plan's SHA-256 is " + actual + " but the approved plan's is " + approved
                    + "; plan again and have the new plan approved");
        }
        if (stored.appliedAt() != null) {
            log.info("plan sha256=" + actual + " of run " + runId + " was already applied (" + stored.appliedAt()
                    + "); not applying it twice");
            return new ApplyResult(null, actual, true);
        }
        if (!Files.isDirectory(root.resolve(".terraform"))) {
            log.info("root " + root + " is not initialised on this node: terraform init first");
            init(root, log);
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the run directory " + dir, e);
        }
        Instant interrupted = plans.beginApply(runId, actual);
        try {
            applyVerified(root, stored.plan(), actual, dir.resolve("apply-" + actual.substring(0, 16) + ".tfplan"),
                    what + " (sha256=" + actual + ")", log);
        } catch (PlanMismatchException e) {
            if (e.reason() != PlanMismatchException.Reason.STALE || interrupted == null) {
                throw e;
            }
            finishInterruptedApply(root, stored, interrupted, dir, what, log);
        }
        plans.markApplied(runId, actual);
        return new ApplyResult(null, actual, false);
    }

    /**
     * The approved plan is stale because an earlier apply of it (begun at {@code interrupted}, never marked applied:
     * its node was killed, or the command failed) changed part of the state. Re-plans with the approved plan's own
     * variables and applies that plan only if every change it still makes is a change of the approved plan (what
     * the interrupted apply did is not done again; a resource it left half-created, tainted, is replaced). A change
     * the approved plan does not hold (the state was also changed by someone else) is refused: STALE, plan again.
     */
    private void finishInterruptedApply(Path root, TerraformPlans.Stored approved, Instant interrupted, Path dir,
                                        String what, StepLog log) {
        Path copy = dir.resolve("approved-" + approved.sha256().substring(0, 16) + ".tfplan");
        JsonNode doc;
        try {
            Files.deleteIfExists(copy);
            Files.write(copy, approved.plan());
            CommandResult r = exec(List.of("show", "-json", copy.toString()), root, props.getReadTimeout(),
                    new QuietLog(log));
            if (r.exitCode() != 0) {
                throw new CommandFailedException(r.exitCode(), r.maskedArgv(), r.stderrTail());
            }
            doc = JSON.readTree(r.stdout());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the approved plan " + what, e);
        } finally {
            try {
                Files.deleteIfExists(copy);
            } catch (IOException ignored) {
                // a private duplicate of verified bytes
            }
        }
        Map<String, List<String>> allowed = new LinkedHashMap<>();
        for (ResourceChange c : parsePlanJson(doc.toString(), copy, approved.sha256(), true).resourceChanges()) {
            List<String> actions = new ArrayList<>(c.actions());
            if (actions.contains("create")) {
                actions.add("delete"); // a create the interrupted apply left tainted is planned as a replace
            }
            allowed.put(c.address(), actions);
        }
        Map<String, Object> vars = new TreeMap<>();
        doc.path("variables").fields().forEachRemaining(v -> {
            if (!v.getValue().path("value").isNull() && !v.getValue().path("value").isMissingNode()) {
                vars.put(v.getKey(), JSON.convertValue(v.getValue().path("value"), Object.class));
            }
        });
        log.info("an apply of " + what + " began at " + interrupted + " and did not finish (node killed or command "
                + "failed): Terraform reports the plan stale, the state holds part of it. Planning the rest with the "
                + "approved plan's variables");
        PlanSummary rest = plan(root, vars, dir.resolve("rest"), approved.destroy(), false, log);
        List<String> foreign = rest.resourceChanges().stream().filter(c -> !allowed.containsKey(c.address())
                || !allowed.get(c.address()).containsAll(c.actions()))
                .map(c -> c.address() + " " + c.actions()).toList();
        if (!foreign.isEmpty()) {
            throw new PlanMismatchException(PlanMismatchException.Reason.STALE, null, "refusing to apply " + what
                    + ": an earlier apply of it (begun " + interrupted + ") did not finish and the state changed in "
                    + "other ways too: " + foreign + " are not changes of the approved plan. Plan again and have "
                    + "the new plan approved");
        }
        if (!rest.hasChanges()) {
            log.info("the interrupted apply of " + what + " had made every change: nothing left to apply");
            return;
        }
        applyVerified(root, readBytes(rest.planFile()), rest.sha256(), dir.resolve("rest-" + rest.sha256()
                .substring(0, 16) + ".tfplan"), "the rest of " + what + " (" + rest.describe().replace("\n", "; ")
                + ")", log);
    }

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Writes the verified bytes to {@code copy} (read-only), applies it, removes it. */
    private void applyVerified(Path root, byte[] bytes, String sha, Path copy, String what, StepLog log) {
        try {
            Files.deleteIfExists(copy);
            Files.write(copy, bytes);
            readOnly(copy);
            CommandResult r = exec(List.of("apply", "-input=false", "-no-color", lockTimeoutFlag(), copy.toString()),
                    root, props.getApplyTimeout(), log);
            if (r.exitCode() != 0) {
                if (r.stderrTail().contains("Error acquiring the state lock")) {
                    throw new IllegalStateException("cannot apply " + what + ": the Terraform state of " + root
                            + " is locked by another operation (waited " + lockTimeoutFlag() + "); Terraform says: "
                            + r.stderrTail().strip() + "\nIf that operation is live, retry this job once it is done. "
                            + "If it is an apply that was killed (its lock outlived it; a local state's lock does "
                            + "not), check nothing runs on the root, run 'terraform force-unlock <ID>' there, then "
                            + "retry this job. opsflow never removes a lock itself (docs/RELIABILITY.md)");
                }
                if (r.stderrTail().contains("Saved plan is stale")) {
                    throw new PlanMismatchException(PlanMismatchException.Reason.STALE, null,
                            "refusing to apply " + what + ": Terraform reports the saved plan is stale (the state"
                                    + " changed after the plan was made). Plan again and have the new plan approved");
                }
                throw new CommandFailedException(r.exitCode(), r.maskedArgv(), r.stderrTail());
            }
            log.info("applied plan " + what + " sha256=" + sha);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the plan copy " + copy, e);
        } finally {
            try {
                Files.deleteIfExists(copy);
            } catch (IOException ignored) {
                // the copy is only a private duplicate of verified bytes
            }
        }
    }

    private static void writeString(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * {@code terraform output -json}: output name to value. Sensitive outputs are replaced by
     * {@value #SENSITIVE} (they must not become process variables). Empty when nothing was applied yet.
     */
    public Map<String, Object> outputs(Path root, StepLog log) {
        requireRoot(root);
        CommandResult r = exec(List.of("output", "-json"), root, props.getReadTimeout(), new QuietLog(log));
        if (r.exitCode() != 0) {
            throw new CommandFailedException(r.exitCode(), r.maskedArgv(), r.stderrTail());
        }
        Map<String, Object> out = parseOutputsJson(r.stdout());
        log.info("outputs: " + String.join(", ", out.keySet()));
        return out;
    }

    public static Map<String, Object> parseOutputsJson(String json) {
        JsonNode doc;
        try {
            doc = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("terraform output -json did not print JSON: " + e.getOriginalMessage(), e);
        }
        Map<String, Object> out = new TreeMap<>();
        doc.fields().forEachRemaining(f -> {
            JsonNode o = f.getValue();
            out.put(f.getKey(), o.path("sensitive").asBoolean(false) ? SENSITIVE
                    : JSON.convertValue(o.get("value"), Object.class));
        });
        return out;
    }

    /**
     * Validates variable names and values and writes them as JSON to {@code <runDir>/vars.tfvars.json} (mode 0600).
     * Throws {@link IllegalArgumentException} naming the offending variable, before anything is written.
     */
    public static Path writeVarFile(Map<String, ?> vars, Path runDir) {
        Map<String, Object> checked = new TreeMap<>();
        if (vars != null) {
            for (Map.Entry<String, ?> e : vars.entrySet()) {
                String name = e.getKey();
                if (name == null || !VAR_NAME.matcher(name).matches()) {
                    throw new IllegalArgumentException("invalid Terraform variable name " + quote(name)
                            + ": must match " + VAR_NAME.pattern());
                }
                checked.put(name, checkValue(name, e.getValue()));
            }
        }
        try {
            Files.createDirectories(runDir);
            Path file = runDir.resolve(VAR_FILE);
            Path tmp = Files.createTempFile(runDir, ".vars", ".tmp");
            setMode(tmp, "rw-------");
            Files.writeString(tmp, JSON.writeValueAsString(checked) + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the Terraform var-file in " + runDir, e);
        }
    }

    private static Object checkValue(String path, Object v) {
        if (v == null) {
            throw new IllegalArgumentException("Terraform variable " + path + " is null; leave it out to use the"
                    + " root's default");
        }
        if (v instanceof String || v instanceof Boolean || v instanceof Integer || v instanceof Long
                || v instanceof Short || v instanceof Byte || v instanceof BigInteger || v instanceof BigDecimal) {
            return v;
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new IllegalArgumentException("Terraform variable " + path + " is not a finite number: " + v);
            }
            return v;
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>();
            int i = 0;
            for (Object x : c) {
                out.add(checkValue(path + "[" + i++ + "]", x));
            }
            return out;
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String k)) {
                    throw new IllegalArgumentException("Terraform variable " + path + " has a non-string key");
                }
                out.put(k, checkValue(path + "." + k, e.getValue()));
            }
            return out;
        }
        throw new IllegalArgumentException("Terraform variable " + path + " has unsupported type "
                + v.getClass().getSimpleName() + " (use string, number, bool, list or map)");
    }

    /** The per-run directory for a process instance: {@code <work-dir>/<processInstanceId>}. */
    public Path runDir(String processInstanceId) {
        if (processInstanceId == null || !RUN_ID.matcher(processInstanceId).matches()
                || processInstanceId.contains("..")) {
            throw new IllegalArgumentException("not a valid run id: " + quote(processInstanceId));
        }
        return workDir.resolve(processInstanceId);
    }

    public static String sha256(Path file) {
        try {
            return sha256(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The binary in use (after the first command), e.g. {@code terraform}; null before. */
    public String binaryInUse() {
        return resolvedBinary;
    }

    static Path appliedMarker(Path planFile) {
        return planFile.resolveSibling(planFile.getFileName() + ".applied");
    }

    /** A root must be a directory with at least one .tf file: anything else is a configuration error. */
    static void requireRoot(Path root) {
        if (root == null || !Files.isDirectory(root)) {
            throw new IllegalArgumentException("Terraform root " + root + " is not a directory; check the"
                    + " environment's terraform-root (opsflow.environments.<env>.terraform-root) or the terraformRoot"
                    + " variable");
        }
        try (Stream<Path> s = Files.list(root)) {
            if (s.noneMatch(p -> p.getFileName().toString().endsWith(".tf"))) {
                throw new IllegalArgumentException("Terraform root " + root + " contains no .tf files");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list Terraform root " + root, e);
        }
    }

    private CommandResult exec(List<String> args, Path root, Duration timeout, StepLog log) {
        List<String> candidates = resolvedBinary != null ? List.of(resolvedBinary) : props.binaryCandidates();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("TF_IN_AUTOMATION", "1");
        env.put("TF_INPUT", "0");
        env.put("CHECKPOINT_DISABLE", "1");
        env.putAll(props.getEnv());
        List<String> secrets = new ArrayList<>();
        props.getSecretEnv().forEach((name, ref) -> {
            String value = SecretRef.parse(ref).resolve();
            env.put(name, value);
            secrets.add(value);
        });
        BinaryNotFoundException missing = null;
        for (String bin : candidates) {
            List<String> argv = new ArrayList<>();
            argv.add(bin);
            argv.addAll(args);
            CommandSpec.Builder spec = CommandSpec.of(argv).cwd(root.toAbsolutePath().normalize()).env(env)
                    .timeout(timeout);
            secrets.forEach(spec::secret);
            try {
                CommandResult r = runner.run(spec.build(), log);
                resolvedBinary = bin;
                return r;
            } catch (BinaryNotFoundException e) {
                missing = e;
            }
        }
        List<String> shown = new ArrayList<>();
        shown.add(String.join("|", candidates));
        shown.addAll(args);
        throw new BinaryNotFoundException(String.join(" or ", candidates)
                + " (install Terraform or OpenTofu, or set opsflow.terraform.binary)", shown, missing);
    }

    private String lockTimeoutFlag() {
        return "-lock-timeout=" + props.getLockTimeout().toSeconds() + "s";
    }

    private static void readOnly(Path file) {
        setMode(file, "r--------");
    }

    private static void setMode(Path file, String mode) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        } catch (UnsupportedOperationException | IOException ignored) {
            // non-POSIX file systems: the SHA-256 check still protects the plan
        }
    }

    private static String readString(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }

    private static String quote(String s) {
        return s == null ? "null" : "'" + s.replace("\n", "\\n") + "'";
    }

    /** Forwards everything but stdout lines (JSON documents that may carry values) to the step log. */
    private static final class QuietLog implements StepLog {
        private final StepLog delegate;

        QuietLog(StepLog delegate) {
            this.delegate = delegate;
        }

        @Override
        public void line(String stream, String text) {
            if (!"out".equals(stream)) {
                delegate.line(stream, text);
            }
        }

        @Override
        public void addSecret(String secret) {
            delegate.addSecret(secret);
        }

        @Override
        public String tail() {
            return delegate.tail();
        }

        @Override
        public Path path() {
            return delegate.path();
        }

        @Override
        public void close() {
            // the caller owns the delegate
        }
    }
}
