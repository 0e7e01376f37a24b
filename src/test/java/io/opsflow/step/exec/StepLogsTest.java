package io.opsflow.step.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which step log files the API may serve: {@link StepLogs#find} gives a run's own log of an activity instance, and
 * nothing else, whatever ids it is handed and whatever links lie in the log folder.
 */
class StepLogsTest {
    @TempDir
    Path var;
    StepLogs logs;

    @BeforeEach
    void setUp() {
        logs = new StepLogs(var.resolve("logs").toString());
    }

    void write(String pi, String aiid, String line) {
        try (StepLog log = logs.open(pi, aiid, "Task_Deploy")) {
            log.line("out", line);
        }
    }

    @Test
    void aRunsLogIsFoundByItsActivityInstanceIdWithOrWithoutTheColon() {
        write("pi-1", "Task_Deploy:ai-1", "deployed");
        Path file = logs.find("pi-1", "Task_Deploy:ai-1").orElseThrow();
        assertThat(file).isEqualTo(var.resolve("logs/pi-1/Task_Deploy_ai-1.log"));
        assertThat(logs.find("pi-1", "Task_Deploy_ai-1")).contains(file);
        assertThat(logs.list("pi-1")).containsExactly(file);
    }

    @Test
    void idsThatAreNotIdsFindNothingAndAreNotEchoed() throws Exception {
        write("pi-1", "Task_Deploy:ai-1", "deployed");
        Files.writeString(var.resolve("secret.log"), "not a step log");
        for (String id : new String[] {"..", "../secret", "../../secret", "/etc/passwd", "a/b", "a\\b", "",
                "x".repeat(129), "..%2F..%2Fsecret", "pi-1/../secret"}) {
            assertThat(StepLogs.isValidId(id)).as(id).isFalse();
            assertThat(logs.find("pi-1", id)).as(id).isEmpty();
            assertThat(logs.find(id, "secret")).as(id).isEmpty();
        }
        assertThat(logs.find(null, null)).isEmpty();
        assertThatThrownBy(() -> logs.locate("pi-1", "/etc/passwd")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a valid id for a step log").hasMessageNotContaining("passwd");
    }

    @Test
    void anotherRunsLogIsNotFoundUnderThisRun() {
        write("pi-2", "Task_Deploy:ai-2", "the other run");
        assertThat(logs.find("pi-1", "Task_Deploy:ai-2")).isEmpty();
        assertThat(logs.find("pi-2", "Task_Deploy:ai-2")).isPresent();
    }

    @Test
    void aSymbolicLinkInTheRunsFolderIsNeitherListedNorServed() throws Exception {
        write("pi-1", "Task_Deploy:ai-1", "deployed");
        Path outside = Files.writeString(var.resolve("outside.txt"), "server secret");
        Files.createSymbolicLink(var.resolve("logs/pi-1/Task_Evil_ai-9.log"), outside);
        assertThat(logs.find("pi-1", "Task_Evil:ai-9")).isEmpty();
        assertThat(logs.list("pi-1")).extracting(p -> p.getFileName().toString())
                .containsExactly("Task_Deploy_ai-1.log");
        // nor a run folder that is a link to somewhere else
        Files.createDirectories(var.resolve("elsewhere"));
        Files.writeString(var.resolve("elsewhere/Task_A_ai-1.log"), "server secret");
        Files.createSymbolicLink(var.resolve("logs/pi-3"), var.resolve("elsewhere"));
        assertThat(logs.find("pi-3", "Task_A:ai-1")).isEmpty();
        assertThat(logs.list("pi-3")).isEmpty();
    }
}
