package io.opsflow.step.lease;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/** Test step that runs longer than the job lock. The platform leases it unless the task opts out. */
@Component("slowStep")
public class SlowStep implements JavaDelegate {
    static final Map<String, AtomicInteger> STARTS = new ConcurrentHashMap<>();
    /** When this JVM first started the step of a process instance. */
    static final Map<String, java.time.Instant> FIRST_START = new ConcurrentHashMap<>();

    /** When this JVM first started the step of {@code processInstanceId}; null when it never did. */
    public static java.time.Instant firstStart(String processInstanceId) {
        return FIRST_START.get(processInstanceId);
    }
    /** Executions in progress right now, per process instance. */
    static final Map<String, AtomicInteger> RUNNING = new ConcurrentHashMap<>();

    @Override
    public void execute(DelegateExecution execution) throws Exception {
        String pi = execution.getProcessInstanceId();
        STARTS.computeIfAbsent(pi, k -> new AtomicInteger()).incrementAndGet();
        FIRST_START.putIfAbsent(pi, java.time.Instant.now());
        AtomicInteger running = RUNNING.computeIfAbsent(pi, k -> new AtomicInteger());
        running.incrementAndGet();
        try {
            long millis = ((Number) execution.getVariable("stepMillis")).longValue();
            Thread.sleep(millis);
            execution.setVariable("finished", true);
        } finally {
            running.decrementAndGet();
        }
    }
}
