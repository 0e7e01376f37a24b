package io.opsflow.platform.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

import io.opsflow.environments.UnknownEnvironmentException;

/**
 * Errors of opsflow's own API as JSON {@code {type, message}}. No message reveals a server file path: messages pass
 * through {@link ServerPaths#redact}, and a failing file or database ({@code IOException}, a database error) answers
 * 500 with an error id only, its message and stack trace going to the server log under that id.
 */
@RestControllerAdvice(basePackages = "io.opsflow")
public class ApiExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ApiExceptionHandler.class);

    @ExceptionHandler({UnknownEnvironmentException.class, RunNotFoundException.class})
    public ResponseEntity<Map<String, Object>> notFound(RuntimeException e) {
        return error(HttpStatus.NOT_FOUND, e);
    }

    @ExceptionHandler(IllegalArgumentException.class)
    public ResponseEntity<Map<String, Object>> badRequest(IllegalArgumentException e) {
        return error(HttpStatus.BAD_REQUEST, e);
    }

    /**
     * A file or the database failed: messages of these name files ({@code NoSuchFileException: /srv/…}) or the
     * database, so the answer is a 500 that says where to look, not what the exception said. (Anything else
     * unexpected gets Spring Boot's error answer, which carries no exception message.)
     */
    @ExceptionHandler({IOException.class, UncheckedIOException.class, DataAccessException.class})
    public ResponseEntity<Map<String, Object>> serverFailure(Exception e) {
        String errorId = UUID.randomUUID().toString();
        LOG.error("API request failed (error id {})", errorId, e);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "InternalError");
        body.put("message", "the request failed on the server; the server log has the details under error id "
                + errorId);
        body.put("errorId", errorId);
        return ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR).body(body);
    }

    static ResponseEntity<Map<String, Object>> error(HttpStatus status, Exception e) {
        String message = e.getMessage();
        String shown = ServerPaths.redact(message);
        if (!java.util.Objects.equals(message, shown)) {
            LOG.info("API answers {} {} without server paths; the full message: {}", status.value(),
                    e.getClass().getSimpleName(), message);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", e.getClass().getSimpleName());
        body.put("message", shown);
        return ResponseEntity.status(status).body(body);
    }
}
