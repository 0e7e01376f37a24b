package io.opsflow.platform.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The approval-needed notification shows what the approval form shows: for every runbook's approval form in
 * {@code processes/}, the fields read are the form's own (labels as the approver sees them), never the decision.
 */
class FormEvidenceTest {
    @Test
    void everyApprovalFormYieldsItsEvidenceFieldsWithoutTheDecision() throws IOException {
        List<Path> forms;
        try (Stream<Path> files = Files.list(Path.of("processes"))) {
            forms = files.filter(f -> f.getFileName().toString().endsWith("-approval.form")).sorted().toList();
        }
        assertThat(forms).hasSizeGreaterThanOrEqualTo(8);
        for (Path f : forms) {
            JsonNode form = new ObjectMapper().readTree(f.toFile());
            List<String[]> fields = FormEvidence.fields(form);
            assertThat(fields).as(f.toString()).isNotEmpty();
            assertThat(fields).as(f.toString()).extracting(kv -> kv[0]).doesNotContain("approved", "comment");
            assertThat(fields).as(f.toString()).allSatisfy(kv -> assertThat(kv[1]).isNotBlank());
        }
        JsonNode release = new ObjectMapper().readTree(Path.of("processes/release-version-approval.form").toFile());
        assertThat(FormEvidence.fields(release)).extracting(kv -> kv[0] + "=" + kv[1])
                .contains("evidenceSummary=Plan: hosts, versions, batches", "reason=Reason");
    }
}
