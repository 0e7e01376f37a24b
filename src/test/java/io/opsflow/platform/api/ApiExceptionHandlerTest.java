package io.opsflow.platform.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.http.ResponseEntity;

import io.opsflow.environments.UnknownEnvironmentException;

/**
 * Errors of opsflow's own API: what the caller did wrong is said, where things lie on the server is not. A failing
 * file or database, which the caller cannot fix, is a 500 with an error id to find the details in the log.
 */
class ApiExceptionHandlerTest {
    final ApiExceptionHandler handler = new ApiExceptionHandler();

    @Test
    void aRefusalSaysWhatIsWrongWithoutTheServersPaths() {
        ResponseEntity<Map<String, Object>> r = handler.badRequest(new IllegalArgumentException(
                "cannot upload /srv/opsflow/var/staging/b1.tar.gz: not a regular file"));
        assertThat(r.getStatusCode().value()).isEqualTo(400);
        assertThat(r.getBody()).containsEntry("type", "IllegalArgumentException")
                .containsEntry("message", "cannot upload …/b1.tar.gz: not a regular file");

        ResponseEntity<Map<String, Object>> unknown = handler.notFound(
                new UnknownEnvironmentException("/etc/passwd", List.of("staging")));
        assertThat(unknown.getStatusCode().value()).isEqualTo(404);
        assertThat((String) unknown.getBody().get("message")).doesNotContain("/etc");
    }

    @Test
    void aFailingFileIsA500WithAnErrorIdAndNotItsMessage() {
        ResponseEntity<Map<String, Object>> r = handler.serverFailure(new UncheckedIOException(
                new NoSuchFileException("/srv/opsflow/var/logs/pi-1/Task_A_1.log")));
        assertThat(r.getStatusCode().value()).isEqualTo(500);
        assertThat(r.getBody()).containsOnlyKeys("type", "message", "errorId").containsEntry("type", "InternalError");
        assertThat((String) r.getBody().get("message")).contains((String) r.getBody().get("errorId"))
                .doesNotContain("/srv").doesNotContain("Task_A_1").doesNotContain("NoSuchFile");
    }
}
