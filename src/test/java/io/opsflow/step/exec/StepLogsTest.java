package io.opsflow.step.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Step logs in the database (the application's form) and in files (the standalone form): chunked appends, masking,
 * the tail, reading from an offset, listing, and ids that are not ids. The two-node case on PostgreSQL is
 * {@code StepLogsPostgresIT}.
 */
class StepLogsTest {
    @TempDir
    Path var;
    DriverManagerDataSource ds;
    StepLogs logs;
    StepLogs files;

    @BeforeEach
    void setUp() {
        ds = new DriverManagerDataSource("jdbc:h2:mem:steplogs-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", "sa", "");
        logs = new StepLogs(ds, var.resolve("logs").toString(), Duration.ofMillis(100));
        files = new StepLogs(var.resolve("logs").toString());
    }

    void write(StepLogs in, String pi, String aiid, String line) {
        try (StepLog log = in.open(pi, aiid, "Task_Deploy")) {
            log.line("out", line);
        }
    }

    String text(StepLogs in, String pi, String aiid) {
        return in.read(pi, aiid, 0).orElseThrow().text();
    }

    @Test
    void chattyOutputIsAppendedInChunksNotLineByLineAndKeptWholeWithATail() {
        try (StepLog log = logs.open("pi-1", "Task_Apply:ai-1", "Task_Apply")) {
            for (int i = 1; i <= 20000; i++) {
                log.line("out", "line " + i);
            }
            assertThat(log.tail().length()).isLessThanOrEqualTo(StepLogs.TAIL_CHARS);
            assertThat(log.tail()).endsWith("[out] line 20000");
            assertThat(log.path()).isNull();
        }
        Integer chunks = new JdbcTemplate(ds).queryForObject(
                "SELECT COUNT(*) FROM OPSFLOW_STEP_LOG_CHUNK WHERE PROC_INST_ID_ = 'pi-1'", Integer.class);
        assertThat(chunks).as("chunks for 20,001 lines").isBetween(2, 20000 / JdbcStepLogStore.FLUSH_LINES + 50);
        String all = text(logs, "pi-1", "Task_Apply:ai-1");
        List<String> lines = all.lines().toList();
        assertThat(lines).hasSize(20001);
        assertThat(lines.get(0)).endsWith("[step] ---- Task_Apply started");
        assertThat(lines.get(1)).endsWith("[out] line 1");
        assertThat(lines.get(20000)).endsWith("[out] line 20000");
        StepLogs.Entry e = logs.entry("pi-1", "Task_Apply:ai-1").orElseThrow();
        assertThat(e.bytes()).isEqualTo(all.getBytes(StandardCharsets.UTF_8).length);
        assertThat(e.ended()).isTrue();
        assertThat(e.lastWritten()).isAfterOrEqualTo(e.firstWritten());
    }

    @Test
    void aLogIsListedWhileItsStepRunsAndCompleteTheMomentItIsClosed() {
        StepLog log = logs.open("pi-1", "Task_Run:ai-1", "Task_Run");
        // the first line is written by the flush thread, not by the step: listed soon after the start
        await(() -> logs.entry("pi-1", "Task_Run:ai-1").isPresent());
        assertThat(logs.entry("pi-1", "Task_Run:ai-1").orElseThrow().ended()).isFalse();
        for (int i = 1; i <= 3; i++) {
            log.line("out", "line " + i);
        }
        log.close();
        // no waiting: everything is in the database once close() returns (before the step's transaction commits)
        StepLogs.Text t = logs.read("pi-1", "Task_Run:ai-1", 0).orElseThrow();
        assertThat(t.ended()).isTrue();
        List<String> lines = t.text().lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).endsWith("[step] ---- Task_Run started");
        assertThat(lines.get(3)).endsWith("[out] line 3");
    }

    @Test
    void stepsThatEndBeforeTheirFirstWriteAreWrittenWholeOnceByTheirClose() {
        for (int i = 0; i < 30; i++) {
            write(logs, "pi-2", "Task_Fast:ai-" + i, "only line " + i);
        }
        // the flush thread works in order: once a later log is listed, the writes queued by the 30 are done
        StepLog later = logs.open("pi-2", "Task_Later:ai-1", "Task_Later");
        await(() -> logs.entry("pi-2", "Task_Later:ai-1").isPresent());
        later.close();
        for (int i = 0; i < 30; i++) {
            String text = text(logs, "pi-2", "Task_Fast:ai-" + i);
            assertThat(text.lines().toList()).as("log " + i).hasSize(2);
            assertThat(text).contains("[step] ---- Task_Deploy started").endsWith("[out] only line " + i + "\n");
            StepLogs.Entry e = logs.entry("pi-2", "Task_Fast:ai-" + i).orElseThrow();
            assertThat(e.ended()).isTrue();
            assertThat(e.bytes()).isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    @Test
    void aNodeThatDiesLosesAtMostTheLinesOfTheLastFlushInterval() {
        StepLog log = logs.open("pi-3", "Task_Long:ai-1", "Task_Long");
        log.line("out", "written before the crash");
        // never closed (the node dies): what the periodic flush wrote (every 100 ms here, 1 s by default) is there
        // for every node to read; the log stays open-ended
        StepLogs otherNode = new StepLogs(ds, var.resolve("other").toString(), Duration.ofMillis(100));
        await(() -> otherNode.read("pi-3", "Task_Long:ai-1", 0).map(t -> t.text().contains("written before the"
                + " crash")).orElse(false));
        assertThat(otherNode.entry("pi-3", "Task_Long:ai-1").orElseThrow().ended()).isFalse();
        otherNode.destroy();
    }

    @Test
    void secretsAreMaskedAsBeforeAndNulCharactersDoNotBreakTheDatabase() {
        try (StepLog log = logs.open("pi-1", "Task_Db:ai-1", "Task_Db")) {
            log.line("cmd", "before the secret is known: s3cr3t-value");
            log.addSecret("s3cr3t-value");
            log.line("out", "password=s3cr3t-value; ok");
            log.line("out", "binary\0output");
            assertThat(log.tail()).contains("password=" + SecretMasker.MASK + "; ok");
        }
        String all = text(logs, "pi-1", "Task_Db:ai-1");
        assertThat(all).contains("[out] password=" + SecretMasker.MASK + "; ok").contains("binary\uFFFDoutput");
        assertThat(all.lines().filter(l -> l.contains("s3cr3t-value")).toList()).as("only the line written before")
                .hasSize(1);
    }

    @Test
    void readFromAnyOffsetGivesTheRestAndTheNextOffset() {
        try (StepLog log = logs.open("pi-1", "Task_Utf:ai-1", "Task_Utf")) {
            log.line("out", "grüße €uro 😀");
            log.line("out", "second");
        }
        String all = text(logs, "pi-1", "Task_Utf:ai-1");
        byte[] bytes = all.getBytes(StandardCharsets.UTF_8);
        StepLogs.Text whole = logs.read("pi-1", "Task_Utf:ai-1", 0).orElseThrow();
        assertThat(whole.nextOffset()).isEqualTo(bytes.length);
        assertThat(whole.ended()).isTrue();
        int euro = all.indexOf('€');
        long euroOffset = all.substring(0, euro).getBytes(StandardCharsets.UTF_8).length;
        // inside the euro sign (3 bytes): continues at the next whole character
        assertThat(logs.read("pi-1", "Task_Utf:ai-1", euroOffset + 1).orElseThrow().text())
                .startsWith("uro 😀").endsWith("[out] second\n");
        assertThat(logs.read("pi-1", "Task_Utf:ai-1", euroOffset).orElseThrow().text()).startsWith("€uro");
        StepLogs.Text atEnd = logs.read("pi-1", "Task_Utf:ai-1", bytes.length + 100).orElseThrow();
        assertThat(atEnd.text()).isEmpty();
        assertThat(atEnd.nextOffset()).isEqualTo(bytes.length);
        // small pages put together are the whole log
        StringBuilder paged = new StringBuilder();
        long offset = 0;
        while (true) {
            StepLogs.Text page = logs.read("pi-1", "Task_Utf:ai-1", offset, 1).orElseThrow();
            paged.append(page.text());
            if (page.nextOffset() == offset) {
                break;
            }
            offset = page.nextOffset();
        }
        assertThat(paged.toString()).isEqualTo(all);
    }

    @Test
    void aLogBeingWrittenIsReadableBeforeItIsClosedAndEndedAfter() {
        StepLogs otherNode = new StepLogs(ds, var.resolve("other").toString(), Duration.ofMillis(100));
        try (StepLog log = logs.open("pi-1", "Task_Slow:ai-1", "Task_Slow")) {
            log.line("out", "first line");
            // another node sees the log once the flush thread wrote its first chunk (not before: no row yet)
            await(() -> otherNode.read("pi-1", "Task_Slow:ai-1", 0).map(StepLogs.Text::text).orElse("")
                    .contains("first line"));
            StepLogs.Text so = otherNode.read("pi-1", "Task_Slow:ai-1", 0).orElseThrow();
            assertThat(so.ended()).isFalse();
            log.line("out", "second line");
            await(() -> otherNode.read("pi-1", "Task_Slow:ai-1", so.nextOffset()).orElseThrow().text()
                    .contains("second line"));
        }
        assertThat(otherNode.read("pi-1", "Task_Slow:ai-1", 0).orElseThrow().ended()).isTrue();
    }

    @Test
    void theListIsOldestFirstAndNamesTheActivityOfAStepsLog() {
        DelegateExecution execution = mock(DelegateExecution.class);
        when(execution.getProcessInstanceId()).thenReturn("pi-1");
        when(execution.getActivityInstanceId()).thenReturn("Task_Deploy:ai-2");
        when(execution.getCurrentActivityId()).thenReturn("Task_Deploy");
        write(logs, "pi-1", "Task_Build:ai-1", "built");
        try (StepLog log = logs.forExecution(execution)) {
            log.line("out", "deployed");
        }
        write(logs, "pi-2", "Task_Other:ai-3", "another run");
        assertThat(logs.list("pi-1")).extracting(StepLogs.Entry::activityInstanceId)
                .containsExactly("Task_Build:ai-1", "Task_Deploy:ai-2");
        assertThat(logs.list("pi-1")).extracting(StepLogs.Entry::activityId).containsExactly(null, "Task_Deploy");
        assertThat(logs.entry("pi-1", "Task_Other:ai-3")).as("another run's log is not under this run").isEmpty();
        assertThat(logs.read("pi-1", "Task_Other:ai-3", 0)).isEmpty();
        assertThat(logs.deleteRun("pi-1")).isEqualTo(2);
        assertThat(logs.list("pi-1")).isEmpty();
        assertThat(logs.list("pi-2")).hasSize(1);
    }

    @Test
    void idsThatAreNotIdsFindNothingWriteNothingAndAreNotEchoed() throws Exception {
        write(logs, "pi-1", "Task_Deploy:ai-1", "deployed");
        write(files, "pi-1", "Task_Deploy:ai-1", "deployed");
        Files.writeString(var.resolve("secret.log"), "not a step log");
        for (String id : new String[] {"..", "../secret", "../../secret", "/etc/passwd", "a/b", "a\\b", "",
                "x".repeat(129), "..%2F..%2Fsecret", "pi-1/../secret", "a'; DROP TABLE OPSFLOW_STEP_LOG; --"}) {
            assertThat(StepLogs.isValidId(id)).as(id).isFalse();
            for (StepLogs store : List.of(logs, files)) {
                assertThat(store.entry("pi-1", id)).as(id).isEmpty();
                assertThat(store.read("pi-1", id, 0)).as(id).isEmpty();
                assertThat(store.read(id, "secret", 0)).as(id).isEmpty();
                assertThat(store.list(id)).as(id).isEmpty();
                assertThatThrownBy(() -> store.open("pi-1", id, "x")).as(id)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageStartingWith("not a valid id for a step log").hasMessageNotContaining("passwd");
            }
        }
        assertThat(logs.entry(null, null)).isEmpty();
        assertThat(logs.list("pi-1")).hasSize(1);
        assertThatThrownBy(() -> files.locate("pi-1", "/etc/passwd")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a valid id for a step log").hasMessageNotContaining("passwd");
    }

    @Test
    void standaloneFilesAreFoundByActivityInstanceIdAndLinksAreNeitherListedNorServed() throws Exception {
        write(files, "pi-1", "Task_Deploy:ai-1", "deployed");
        assertThat(text(files, "pi-1", "Task_Deploy:ai-1")).contains("[out] deployed");
        assertThat(files.locate("pi-1", "Task_Deploy:ai-1")).isEqualTo(var.resolve("logs/pi-1/Task_Deploy_ai-1.log"));
        Path outside = Files.writeString(var.resolve("outside.txt"), "server secret");
        Files.createSymbolicLink(var.resolve("logs/pi-1/Task_Evil_ai-9.log"), outside);
        assertThat(files.entry("pi-1", "Task_Evil:ai-9")).isEmpty();
        assertThat(files.read("pi-1", "Task_Evil:ai-9", 0)).isEmpty();
        assertThat(files.list("pi-1")).extracting(StepLogs.Entry::activityInstanceId)
                .containsExactly("Task_Deploy_ai-1");
        Files.createDirectories(var.resolve("elsewhere"));
        Files.writeString(var.resolve("elsewhere/Task_A_ai-1.log"), "server secret");
        Files.createSymbolicLink(var.resolve("logs/pi-3"), var.resolve("elsewhere"));
        assertThat(files.entry("pi-3", "Task_A:ai-1")).isEmpty();
        assertThat(files.list("pi-3")).isEmpty();
    }

    static void await(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for the step log");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
