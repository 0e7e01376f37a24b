package io.opsflow.step.http;

import java.net.URI;

/**
 * Health of one URL after {@link HttpHealthCheck#check}: whether it met the expectation before the deadline, the
 * last HTTP status seen ({@code -1} when no response ever came), how many requests were made, why the last attempt
 * failed (null when healthy) and the start of the last response body.
 */
public record UrlHealth(URI url, boolean healthy, int status, int attempts, String lastError, String bodyExcerpt) {
}
