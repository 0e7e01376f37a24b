package io.opsflow.platform.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

import jakarta.ws.rs.core.Response;

import org.camunda.bpm.engine.ProcessEngineException;
import org.camunda.bpm.engine.rest.dto.ExceptionDto;
import org.camunda.bpm.engine.rest.exception.RestException;
import org.junit.jupiter.api.Test;

import io.opsflow.platform.runbook.RunbookInputException;

/**
 * The engine REST API's errors, opsflow's and Camunda's own, never reveal a server file path: whatever the message
 * of the exception that reached the client, the answer keeps the status and the type and names files by their last
 * name only.
 */
class RunbookRestExceptionMapperTest {
    static final String ROOT = "/srv/opsflow/var/terraform/staging";

    @Test
    void opsflowsRefusalsKeepTheirStatusAndLoseThePaths() {
        Response r = new RunbookRestExceptionMapper.EngineExceptionMapper().toResponse(new ProcessEngineException(
                "start failed", new RunbookInputException("provision-infrastructure",
                List.of("environment: Terraform root " + ROOT + " is not a directory"))));
        assertThat(r.getStatus()).isEqualTo(400);
        @SuppressWarnings("unchecked")
        Map<String, Object> body = (Map<String, Object>) r.getEntity();
        assertThat(body.get("errors")).asList().containsExactly("environment: Terraform root …/staging is not a "
                + "directory");
        assertThat((String) body.get("message")).doesNotContain("/srv");
    }

    @Test
    void camundasOwnAnswersKeepTheirStatusAndLoseThePaths() {
        Response rest = new RunbookRestExceptionMapper.RestExceptionMapper().toResponse(new RestException(
                Response.Status.INTERNAL_SERVER_ERROR, "Cannot instantiate process definition x: cannot read Terraform"
                + " root " + ROOT));
        assertThat(rest.getStatus()).isEqualTo(500);
        assertThat(((ExceptionDto) rest.getEntity()).getMessage())
                .isEqualTo("Cannot instantiate process definition x: cannot read Terraform root …/staging");

        Response engine = new RunbookRestExceptionMapper.EngineExceptionMapper().toResponse(
                new ProcessEngineException("cannot open step log " + ROOT + "/x.log"));
        assertThat(((ExceptionDto) engine.getEntity()).getMessage()).isEqualTo("cannot open step log …/x.log");

        Response any = new RunbookRestExceptionMapper.AnyExceptionMapper().toResponse(
                new UncheckedIOException("cannot read Terraform root " + ROOT, new IOException("denied")));
        assertThat(any.getStatus()).isEqualTo(500);
        assertThat(((ExceptionDto) any.getEntity()).getType()).isEqualTo("UncheckedIOException");
        assertThat(((ExceptionDto) any.getEntity()).getMessage()).isEqualTo("cannot read Terraform root …/staging");
    }
}
