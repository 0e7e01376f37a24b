package io.opsflow.step.ansible;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One ansible-playbook run. Validated on construction: a bad value is refused with a message naming it, before
 * anything runs.
 *
 * @param playbook        the playbook file (must exist)
 * @param inventory       inventory file or directory (must exist)
 * @param limit           host/group pattern for {@code --limit} (null: all hosts of the playbook); letters,
 *                        digits, {@code _ . - *}, ranges {@code [0:2]}, combined with {@code , :} and the
 *                        prefixes {@code ! &}; never a regex ({@code ~}), a file ({@code @}) or an option
 * @param extraVars       extra variables, written to a file passed as {@code -e @file} (never argv); every string
 *                        is marked {@code !unsafe} so Ansible never templates it
 * @param checkMode       {@code --check --diff}: report what would change, change nothing
 * @param timeout         time limit of the whole run (null: the configured default)
 * @param extraEnv        more environment variables for ansible-playbook (not the ones the step controls)
 * @param hostKeyChecking false only for environments whose configuration says so
 */
public record AnsibleRun(Path playbook, Path inventory, String limit, Map<String, Object> extraVars,
                         boolean checkMode, Duration timeout, Map<String, String> extraEnv,
                         boolean hostKeyChecking) {

    private static final String LIMIT_ITEM = "[!&]?[A-Za-z0-9_*][A-Za-z0-9_.*-]*(?:\\[[0-9]{1,6}(?::[0-9]{1,6})?\\])?";
    static final Pattern LIMIT = Pattern.compile(LIMIT_ITEM + "(?:[,:]" + LIMIT_ITEM + ")*");
    static final Pattern VAR_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    /** Ansible's magic variables: an extra var with one of these names would rewrite how Ansible works. */
    static final Set<String> MAGIC_VARS = Set.of("hostvars", "groups", "group_names", "inventory_hostname",
            "inventory_hostname_short", "inventory_dir", "inventory_file", "playbook_dir", "play_hosts",
            "ansible_play_hosts", "role_name", "role_names", "role_path", "omit", "vars", "environment");
    /** Environment variables the step sets itself. */
    static final Set<String> CONTROLLED_ENV = Set.of("ANSIBLE_CONFIG", "ANSIBLE_STDOUT_CALLBACK",
            "ANSIBLE_CALLBACK_PLUGINS", "ANSIBLE_HOST_KEY_CHECKING", "ANSIBLE_NOCOLOR", "ANSIBLE_FORCE_COLOR",
            "ANSIBLE_RETRY_FILES_ENABLED", "ANSIBLE_INVENTORY_ENABLED", "ANSIBLE_CALLBACKS_ENABLED",
            "ANSIBLE_LOAD_CALLBACK_PLUGINS", "PYTHONUNBUFFERED");

    public AnsibleRun {
        Objects.requireNonNull(playbook, "playbook");
        Objects.requireNonNull(inventory, "inventory");
        if (!Files.isRegularFile(playbook)) {
            throw new IllegalArgumentException("playbook: no such file: " + playbook);
        }
        if (!Files.exists(inventory)) {
            throw new IllegalArgumentException("inventory: no such file or directory: " + inventory);
        }
        limit = validateLimit(limit);
        extraVars = extraVars == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extraVars));
        for (String name : extraVars.keySet()) {
            validateVarName(name);
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        extraEnv = extraEnv == null ? Map.of() : Map.copyOf(extraEnv);
        for (String k : extraEnv.keySet()) {
            if (!ENV_NAME.matcher(k).matches()) {
                throw new IllegalArgumentException("extraEnv: not an environment variable name: " + printable(k));
            }
            if (CONTROLLED_ENV.contains(k)) {
                throw new IllegalArgumentException("extraEnv: " + k + " is set by the Ansible step itself");
            }
        }
    }

    /** Null or blank means no limit; anything else must be a plain host/group pattern. */
    public static String validateLimit(String limit) {
        if (limit == null || limit.isBlank()) {
            return null;
        }
        if (limit.length() > 1000 || !LIMIT.matcher(limit).matches()) {
            throw new IllegalArgumentException("limit: not a host/group pattern (letters, digits, _ . - *, [a:b],"
                    + " separated by , or :, prefixes ! and &): " + printable(limit));
        }
        return limit;
    }

    /** Extra variable names: Ansible identifiers, never ansible_* connection settings or magic variables. */
    public static void validateVarName(String name) {
        if (name == null || !VAR_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("extraVars: not a valid variable name: " + printable(name));
        }
        if (name.startsWith("ansible_") || MAGIC_VARS.contains(name)) {
            throw new IllegalArgumentException("extraVars: " + name
                    + " is reserved by Ansible (connection settings and magic variables come from the inventory)");
        }
    }

    static String printable(String s) {
        if (s == null) {
            return "null";
        }
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        StringBuilder b = new StringBuilder("'");
        cut.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.append('\'').toString();
    }

    public static Builder builder(Path playbook, Path inventory) {
        return new Builder(playbook, inventory);
    }

    public static final class Builder {
        private final Path playbook;
        private final Path inventory;
        private String limit;
        private Map<String, Object> extraVars = new LinkedHashMap<>();
        private boolean checkMode;
        private Duration timeout;
        private final Map<String, String> extraEnv = new LinkedHashMap<>();
        private boolean hostKeyChecking = true;

        private Builder(Path playbook, Path inventory) {
            this.playbook = playbook;
            this.inventory = inventory;
        }

        public Builder limit(String l) {
            this.limit = l;
            return this;
        }

        public Builder extraVars(Map<String, ?> vars) {
            this.extraVars = new LinkedHashMap<>(vars);
            return this;
        }

        public Builder var(String name, Object value) {
            this.extraVars.put(name, value);
            return this;
        }

        public Builder checkMode(boolean c) {
            this.checkMode = c;
            return this;
        }

        public Builder timeout(Duration t) {
            this.timeout = t;
            return this;
        }

        public Builder env(String k, String v) {
            this.extraEnv.put(k, v);
            return this;
        }

        public Builder hostKeyChecking(boolean h) {
            this.hostKeyChecking = h;
            return this;
        }

        public AnsibleRun build() {
            return new AnsibleRun(playbook, inventory, limit, extraVars, checkMode, timeout, extraEnv, hostKeyChecking);
        }
    }
}
