package io.opsflow.release;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_VerifyIdle (blue-green): every idle instance answers healthy with the new version, directly on its port. */
@Component("releaseVerifyIdle")
class VerifyIdleDelegate extends ReleaseStep {
    VerifyIdleDelegate(ReleaseOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(ReleaseVars v, StepLog log) {
        requireHealthy(v, log, "idle colour failed its direct health check");
    }
}
