package io.opsflow.platform.api;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

import io.opsflow.platform.environments.UnknownEnvironmentException;

/** Errors of opsflow's own API as JSON {type, message}. */
@RestControllerAdvice(basePackages = "io.opsflow")
public class ApiExceptionHandler {

    @ExceptionHandler(UnknownEnvironmentException.class)
    public ResponseEntity<Map<String, Object>> notFound(UnknownEnvironmentException e) {
        return error(HttpStatus.NOT_FOUND, e);
    }

    @ExceptionHandler(IllegalArgumentException.class)
    public ResponseEntity<Map<String, Object>> badRequest(IllegalArgumentException e) {
        return error(HttpStatus.BAD_REQUEST, e);
    }

    static ResponseEntity<Map<String, Object>> error(HttpStatus status, Exception e) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", e.getClass().getSimpleName());
        body.put("message", e.getMessage());
        return ResponseEntity.status(status).body(body);
    }
}
