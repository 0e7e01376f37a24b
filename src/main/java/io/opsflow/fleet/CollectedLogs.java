package io.opsflow.fleet;

import java.util.List;

/**
 * What {@code collect-logs.sh} read on one host ({@link FleetScope#collectLogs}): lines and bytes handed over (before
 * compression), the compressed size that crossed the wire, whether the size limit cut the window short, the log
 * files read ({@code app:<app>/<instance>}, {@code lb:<file>}) and the load balancer logs that were not there.
 */
public record CollectedLogs(String host, long lines, long bytes, long compressedBytes, boolean truncated,
                            List<String> sources, List<String> missing) {
    public CollectedLogs {
        sources = List.copyOf(sources);
        missing = List.copyOf(missing);
    }
}
