package io.opsflow.fleet;

/**
 * What {@code release-activate.sh --check} reports it would do to one instance, without changing the host: the
 * approver's evidence for a release is this dry run of the very script that then acts. {@code error} is set when
 * the real run would fail the same way (artifact missing, checksum mismatch, wrong contents).
 */
public record ActivationCheck(String host, String instance, String previousVersion, String version, int port,
                              boolean install, boolean switchVersion, boolean envChanged, boolean restart,
                              boolean running, String sha256, String error) {

    public boolean ok() {
        return error == null;
    }

    /** Whether the real run would change anything on this instance. */
    public boolean changes() {
        return install || switchVersion || envChanged || restart;
    }

    /** Human lines for the approval form: what would happen, in the order the script does it. */
    public String describe() {
        if (!ok()) {
            return "would FAIL: " + error + "\n";
        }
        StringBuilder b = new StringBuilder();
        if (install) {
            b.append("install ").append(version).append(" from the artifact store (SHA-256 ").append(sha256)
                    .append(", contents verified)\n");
        }
        if (switchVersion) {
            b.append("switch current ").append(previousVersion == null ? "(none)" : previousVersion).append(" -> ")
                    .append(version).append('\n');
        }
        if (envChanged) {
            b.append("rewrite instance.env (port ").append(port).append(")\n");
        }
        if (restart) {
            b.append(running ? "restart" : "start").append(" on port ").append(port)
                    .append(" and wait for its health check\n");
        }
        return b.isEmpty() ? "no changes: already runs " + version + " on port " + port + "\n" : b.toString();
    }
}
