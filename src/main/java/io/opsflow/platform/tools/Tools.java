package io.opsflow.platform.tools;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.springframework.stereotype.Component;

/**
 * Finds the tools runbooks need on this host's PATH, and their version (first line of {@code --version}, or
 * {@code -v} for nginx, cached: a version does not change while opsflow runs).
 */
@Component
public class Tools {
    private final String path;
    private final Map<Path, String> versions = new ConcurrentHashMap<>();

    public Tools() {
        this(System.getenv("PATH"));
    }

    /** For tests: another PATH. */
    public Tools(String path) {
        this.path = path == null ? "" : path;
    }

    /** Where the tool is: the first candidate that is an executable file (absolute, or on PATH). */
    public Optional<Path> locate(Tool tool) {
        for (String c : tool.candidates()) {
            if (c.contains("/")) {
                Path p = Path.of(c);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
                continue;
            }
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (dir.isBlank()) {
                    continue;
                }
                Path p = Path.of(dir, c);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** Throws {@link ToolMissingException} for the first tool that is not there. */
    public void require(String processKey, List<Tool> tools) {
        for (Tool t : tools) {
            if (locate(t).isEmpty()) {
                throw new ToolMissingException(processKey, t);
            }
        }
    }

    /** First line the tool prints about its version, or a note why there is none. */
    public String version(Path binary) {
        return versions.computeIfAbsent(binary, b -> {
            List<String> argv = new ArrayList<>(List.of(b.toString(),
                    b.getFileName().toString().equals("nginx") ? "-v" : "--version"));
            try {
                Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
                p.getOutputStream().close();
                String first;
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    first = r.readLine();
                    while (r.readLine() != null) {
                        // drain
                    }
                }
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return "(no answer to " + argv.get(1) + ")";
                }
                return first == null ? "(no version printed)" : first.strip();
            } catch (Exception e) {
                return "(cannot run: " + e.getMessage() + ")";
            }
        });
    }
}
