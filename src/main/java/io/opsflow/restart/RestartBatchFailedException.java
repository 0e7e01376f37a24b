package io.opsflow.restart;

/**
 * A batch did not come back healthy. Deliberately a technical exception, not a BpmnError: the run stops where it is
 * (this batch drained, later batches untouched), Camunda retries the check a few times (a slow service may still
 * come up), then raises an incident whose message lists every host's state. Fix the hosts, then retry the job: the
 * check probes again and the run continues with undrain and the next batch.
 */
public class RestartBatchFailedException extends RuntimeException {
    public RestartBatchFailedException(String message) {
        super(message);
    }
}
