package io.opsflow.step.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.opsflow.testsupport.RealComponent;

class ShellQuoteTest {

    @Test
    void quotesOnlyWhatNeedsQuoting() {
        assertThat(ShellQuote.quote("abc-1.2_3/x:y@z,w+v")).isEqualTo("abc-1.2_3/x:y@z,w+v");
        assertThat(ShellQuote.quote("-rf")).isEqualTo("-rf");
        assertThat(ShellQuote.quote("x=y")).isEqualTo("x=y");
        assertThat(ShellQuote.quote("=ls")).isEqualTo("'=ls'");
        assertThat(ShellQuote.quote("")).isEqualTo("''");
        assertThat(ShellQuote.quote("a b")).isEqualTo("'a b'");
        assertThat(ShellQuote.quote("it's")).isEqualTo("'it'\"'\"'s'");
        assertThat(ShellQuote.quote("$(id)")).isEqualTo("'$(id)'");
        assertThat(ShellQuote.quote("~")).isEqualTo("'~'");
        assertThat(ShellQuote.quote("a\nb")).isEqualTo("'a\nb'");
        assertThat(ShellQuote.join(List.of("echo", "it's", "", "$HOME")))
                .isEqualTo("echo 'it'\"'\"'s' '' '$HOME'");
    }

    @Test
    void rejectsWhatNoShellWordCanCarry() {
        assertThatThrownBy(() -> ShellQuote.quote("a\0b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NUL");
        assertThatThrownBy(() -> ShellQuote.join(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> ShellQuote.join(Arrays.asList("echo", null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null");
        assertThatThrownBy(() -> ShellQuote.quote(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void everyQuotedWordIsOneWordWithoutUnquotedSpecials() {
        for (String w : HostileCorpus.WORDS) {
            String q = ShellQuote.quote(w);
            if (!q.startsWith("'")) {
                assertThat(q).matches("[A-Za-z0-9_./:@,+=-]+").doesNotStartWith("=");
            } else {
                assertThat(onlyQuotedRuns(q)).as("only '...' runs and \"'\" between them: %s", q).isTrue();
            }
        }
    }

    /**
     * The proof: a real POSIX shell parses the joined command back into exactly the original words. The command
     * string goes in a script FILE (bytes, UTF-8), like the bytes of an SSH exec request; {@code printf '%s\0'}
     * prints each word NUL-terminated. Runs under every POSIX shell installed (sh at least).
     */
    @Test
    void realShellsReadBackExactlyTheOriginalWords(@TempDir Path tmp) throws Exception {
        List<String> shells = new ArrayList<>();
        for (String s : List.of("sh", "dash", "bash", "zsh", "ksh", "busybox")) {
            RealComponent.which(s).ifPresent(p -> shells.add(p.toString()));
        }
        RealComponent.available(!shells.isEmpty(), "a POSIX sh");
        Path script = tmp.resolve("cmd.sh");
        Files.writeString(script, ShellQuote.join(prepend("printf", "%s\\0", HostileCorpus.WORDS)) + "\n",
                StandardCharsets.UTF_8);
        Path marker = Path.of("/tmp/opsflow-pwned");
        Files.deleteIfExists(marker);
        for (String shell : shells) {
            List<String> argv = shell.endsWith("busybox") ? List.of(shell, "sh", script.toString())
                    : List.of(shell, script.toString());
            Process p = new ProcessBuilder(argv).directory(tmp.toFile()).start();
            p.getOutputStream().close();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            p.getInputStream().transferTo(out);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(shell + ": " + err).isZero();
            assertThat(splitNul(out.toByteArray())).as("words read back by " + shell)
                    .containsExactlyElementsOf(HostileCorpus.WORDS);
        }
        assertThat(marker).as("no command substitution ran").doesNotExist();
        try (var files = Files.list(tmp)) {
            assertThat(files.map(f -> f.getFileName().toString())).as("no redirection created files")
                    .containsExactly("cmd.sh");
        }
    }

    /** Scans a quoted word: single-quoted runs, separated only by a double-quoted single quote. */
    static boolean onlyQuotedRuns(String q) {
        int i = 0;
        while (i < q.length()) {
            if (q.charAt(i) == '\'') {
                int end = q.indexOf('\'', i + 1);
                if (end < 0) {
                    return false;
                }
                i = end + 1;
            } else if (q.startsWith("\"'\"", i)) {
                i += 3;
            } else {
                return false;
            }
        }
        return true;
    }

    static List<String> prepend(String a, String b, List<String> rest) {
        List<String> l = new ArrayList<>(List.of(a, b));
        l.addAll(rest);
        return l;
    }

    static List<String> splitNul(byte[] bytes) {
        List<String> words = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                words.add(new String(bytes, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        assertThat(start).as("output ends with a NUL").isEqualTo(bytes.length);
        return words;
    }
}
