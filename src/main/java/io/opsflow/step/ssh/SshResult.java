package io.opsflow.step.ssh;

/**
 * What a remote command did: its exit status ({@code -1} when the server reported none, e.g. killed by a signal),
 * its whole standard output and the tail of its standard error.
 */
public record SshResult(int exitCode, String stdout, String stderrTail) {

    public boolean succeeded() {
        return exitCode == 0;
    }

    /** The last {@code maxChars} characters of stdout (whole lines when possible). */
    public String stdoutTail(int maxChars) {
        if (stdout.length() <= maxChars) {
            return stdout;
        }
        String t = stdout.substring(stdout.length() - maxChars);
        int nl = t.indexOf('\n');
        return nl >= 0 && nl < t.length() - 1 ? t.substring(nl + 1) : t;
    }
}
