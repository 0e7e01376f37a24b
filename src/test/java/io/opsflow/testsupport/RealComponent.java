package io.opsflow.testsupport;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Assumptions;

/**
 * Tests that need a real component (ansible-playbook, sshd, chromium, PostgreSQL …) call {@link #require}. On a
 * developer laptop without it the test is skipped with a loud message; under CI (env CI=true) a missing component
 * fails the test: CI installs everything (.ci/run), so a skip there would hide a broken install.
 */
public final class RealComponent {
    private RealComponent() {
    }

    public static boolean underCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Finds an executable on PATH (or in the given extra absolute locations). */
    public static Optional<Path> which(String binary, String... extraLocations) {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, binary);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        for (String loc : extraLocations) {
            Path p = Path.of(loc);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Returns the binary's path, or skips (laptop) / fails (CI) the calling test with a loud message. */
    public static Path require(String binary, String installHint, String... extraLocations) {
        Optional<Path> found = which(binary, extraLocations);
        if (found.isPresent()) {
            return found.get();
        }
        available(false, binary + " not found (" + installHint + ")");
        throw new IllegalStateException("unreachable");
    }

    /** Skips (laptop) or fails (CI) unless {@code present}. */
    public static void available(boolean present, String what) {
        if (present) {
            return;
        }
        String msg = "REAL COMPONENT MISSING: " + what + ". This test needs it; .ci/run installs it.";
        if (underCi()) {
            throw new AssertionError(msg + " Under CI=true a missing real component is a failure, not a skip.");
        }
        System.err.println("!!!!! SKIPPING: " + msg);
        Assumptions.abort(msg);
    }
}
