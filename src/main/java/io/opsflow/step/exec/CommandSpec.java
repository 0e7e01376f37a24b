package io.opsflow.step.exec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A command to run: an argv list (never a shell string), a working directory, environment additions on top of the
 * runner's allow-list, a timeout, and the secret values that must never appear in logs or messages.
 */
public record CommandSpec(List<String> argv, Path workingDirectory, Map<String, String> extraEnv,
                          Duration timeout, Set<String> secrets) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

    public CommandSpec {
        Objects.requireNonNull(argv, "argv");
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv must not be empty");
        }
        for (String a : argv) {
            if (a == null) {
                throw new IllegalArgumentException("argv must not contain null: " + argv);
            }
            if (a.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("argv must not contain NUL characters");
            }
        }
        argv = List.copyOf(argv);
        extraEnv = extraEnv == null ? Map.of() : Map.copyOf(extraEnv);
        timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        secrets = secrets == null ? Set.of() : Set.copyOf(secrets);
    }

    public String binary() {
        return argv.get(0);
    }

    public static Builder of(String... argv) {
        return new Builder(Arrays.asList(argv));
    }

    public static Builder of(List<String> argv) {
        return new Builder(argv);
    }

    public static final class Builder {
        private final List<String> argv;
        private Path cwd;
        private final Map<String, String> env = new LinkedHashMap<>();
        private Duration timeout = DEFAULT_TIMEOUT;
        private final Set<String> secrets = new LinkedHashSet<>();

        private Builder(List<String> argv) {
            this.argv = new ArrayList<>(argv);
        }

        public Builder arg(String a) {
            argv.add(a);
            return this;
        }

        public Builder args(List<String> more) {
            argv.addAll(more);
            return this;
        }

        public Builder cwd(Path dir) {
            this.cwd = dir;
            return this;
        }

        public Builder env(String key, String value) {
            env.put(key, value);
            return this;
        }

        public Builder env(Map<String, String> more) {
            env.putAll(more);
            return this;
        }

        public Builder timeout(Duration t) {
            this.timeout = t;
            return this;
        }

        public Builder secret(String value) {
            if (value != null && !value.isEmpty()) {
                secrets.add(value);
            }
            return this;
        }

        public CommandSpec build() {
            return new CommandSpec(argv, cwd, env, timeout, secrets);
        }
    }
}
