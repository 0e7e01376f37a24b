package io.opsflow.step.ssh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Assembles a {@code workers/} script into the one self-contained file a host runs. Shared shell code lives once,
 * in {@code workers/lib/<name>.sh}; a script declares what it needs with lines
 * <pre>
 * # @include lib/common.sh
 * </pre>
 * and each such line is replaced by the content of that file, byte for byte. Nothing else changes: a script
 * without includes is assembled into itself. A lib file must end with a newline and cannot include another; a
 * script includes a lib at most once. Anything else that looks like an include (a line starting with
 * {@code # @include}) is an error, so a typo never ships a script without its helpers.
 * <p>
 * Bytes are kept as they are (ISO-8859-1 round trip), so the assembled text, its SHA-256 (what
 * {@link WorkerScripts} compares with the host's copy) and its line numbers are exactly what the host executes.
 */
public final class WorkerAssembly {
    /** Where lib files live, relative to the workers directory. */
    public static final String LIB = "lib";
    private static final String MARK = "# @include";
    private static final Pattern INCLUDE = Pattern.compile("# @include lib/([a-z0-9][a-z0-9-]{0,62}\\.sh)");
    private static final Pattern SCRIPT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final Path workersDir;

    public WorkerAssembly(Path workersDir) {
        this.workersDir = workersDir.toAbsolutePath().normalize();
    }

    public Path workersDir() {
        return workersDir;
    }

    /** The scripts of the workers directory ({@code *.sh} directly in it, not the lib files), sorted. */
    public List<String> scripts() {
        try (Stream<Path> s = Files.list(workersDir)) {
            return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".sh")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list worker scripts in " + workersDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The assembled script. {@link IllegalArgumentException} when {@code script} is not a plain file name or not
     * in the workers directory; {@link IllegalStateException} when an include cannot be honoured (the message
     * names the script, the line and what to fix).
     */
    public byte[] assemble(String script) {
        if (script == null || !SCRIPT.matcher(script).matches()) {
            throw new IllegalArgumentException("worker script name must be a plain file name ([A-Za-z0-9._-],"
                    + " no path): '" + script + "'");
        }
        Path file = workersDir.resolve(script).normalize();
        if (!file.startsWith(workersDir) || !Files.isRegularFile(file)) {
            throw new IllegalArgumentException("worker script '" + script + "' not found in " + workersDir
                    + " (opsflow.workers.dir)");
        }
        String text = read(file);
        StringBuilder out = new StringBuilder(text.length() * 3);
        Set<String> included = new HashSet<>();
        int lineNo = 0;
        for (String line : lines(text)) {
            lineNo++;
            String bare = line.endsWith("\n") ? line.substring(0, line.length() - 1) : line;
            if (!bare.stripLeading().startsWith(MARK)) {
                out.append(line);
                continue;
            }
            String where = script + " line " + lineNo;
            Matcher m = INCLUDE.matcher(bare);
            if (!m.matches()) {
                throw new IllegalStateException(where + ": '" + bare + "' is not an include; write exactly"
                        + " '# @include lib/<name>.sh' at the start of a line");
            }
            String lib = m.group(1);
            if (!included.add(lib)) {
                throw new IllegalStateException(where + " includes lib/" + lib + " a second time");
            }
            out.append(libText(lib, where));
            if (!line.endsWith("\n")) {
                out.setLength(out.length() - 1); // the include was the last line, without a newline: keep it so
            }
        }
        return out.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The lib files the script includes, in order (checked like {@link #assemble}). */
    public List<String> includes(String script) {
        assemble(script);
        List<String> libs = new ArrayList<>();
        for (String line : lines(read(workersDir.resolve(script)))) {
            Matcher m = INCLUDE.matcher(line.strip());
            if (m.matches()) {
                libs.add(m.group(1));
            }
        }
        return libs;
    }

    /**
     * Writes every assembled script to {@code dir} (mode 0755, each replaced atomically) and returns the paths, in
     * {@link #scripts()} order: what the hosts execute, for shellcheck, local runs and inspection.
     */
    public List<Path> writeAll(Path dir) {
        try {
            Files.createDirectories(dir);
            List<Path> written = new ArrayList<>();
            for (String script : scripts()) {
                Path target = dir.resolve(script);
                Path tmp = Files.createTempFile(dir, "." + script, ".tmp");
                Files.write(tmp, assemble(script));
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                written.add(target);
            }
            return written;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write assembled worker scripts to " + dir + ": " + e.getMessage(), e);
        }
    }

    private String libText(String lib, String where) {
        Path file = workersDir.resolve(LIB).resolve(lib);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(where + " includes lib/" + lib + ", which is not in "
                    + workersDir.resolve(LIB));
        }
        String text = read(file);
        if (!text.endsWith("\n")) {
            throw new IllegalStateException("lib/" + lib + " (included by " + where + ") must end with a newline");
        }
        for (String line : lines(text)) {
            if (line.stripLeading().startsWith(MARK)) {
                throw new IllegalStateException("lib/" + lib + " (included by " + where + ") includes another"
                        + " file; lib files cannot include (list every lib in the script)");
            }
        }
        return text;
    }

    /** The lines of {@code text}, each with its newline (the last one without when the text does not end in one). */
    private static List<String> lines(String text) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int nl = text.indexOf('\n', start);
            int end = nl < 0 ? text.length() : nl + 1;
            lines.add(text.substring(start, end));
            start = end;
        }
        return lines;
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read worker script " + file + ": " + e.getMessage(), e);
        }
    }
}
