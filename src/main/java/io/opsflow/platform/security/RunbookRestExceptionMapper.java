package io.opsflow.platform.security;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.annotation.Priority;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import org.camunda.bpm.engine.AuthorizationException;
import org.camunda.bpm.engine.ProcessEngineException;
import org.camunda.bpm.engine.ProcessEngines;
import org.camunda.bpm.engine.rest.dto.ExceptionDto;
import org.camunda.bpm.engine.rest.exception.ExceptionHandler;
import org.camunda.bpm.engine.rest.exception.ProcessEngineExceptionHandler;
import org.camunda.bpm.engine.rest.exception.RestException;
import org.camunda.bpm.engine.rest.exception.RestExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.opsflow.platform.api.ServerPaths;
import io.opsflow.platform.approval.ApprovalRefusedException;
import io.opsflow.platform.approval.FourEyesGuard;
import io.opsflow.platform.approval.RunPathForbiddenException;
import io.opsflow.platform.locks.RunbookLockedException;
import io.opsflow.platform.runbook.RunbookInputException;
import io.opsflow.platform.tools.ToolMissingException;

/**
 * Camunda REST wraps anything thrown while starting an instance as HTTP 500 "Cannot instantiate process definition".
 * These mappers find opsflow's own refusals in the cause chain and answer what they mean: invalid input → 400 with
 * the field messages, lock held → 409, four-eyes violation → 403 (also when the engine's REVOKE authorization refused
 * the initiator on their own approval task: the message then names the four-eyes rule, not a missing permission),
 * an approval completion that would edit the run → 400 naming the variables, a forbidden way into a run (start past
 * the start event, modification, approval by a non-approver) → 403.
 * Everything else keeps Camunda's mapping. No answer reveals a server file path: every message (opsflow's and
 * Camunda's) passes through {@link ServerPaths#redact}, the full message going to the log.
 */
public final class RunbookRestExceptionMapper {
    private static final Logger LOG = LoggerFactory.getLogger(RunbookRestExceptionMapper.class);

    private RunbookRestExceptionMapper() {
    }

    static Optional<Response> map(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RunbookInputException in) {
                Map<String, Object> body = body("RunbookInputException", in.getMessage());
                body.put("runbook", in.processKey());
                body.put("errors", in.errors().stream().map(ServerPaths::redact).toList());
                return Optional.of(json(400, body));
            }
            if (t instanceof RunbookLockedException l) {
                Map<String, Object> body = body("RunbookLockedException", l.getMessage());
                body.put("lock", l.lockName());
                body.put("heldBy", l.owner());
                return Optional.of(json(409, body));
            }
            if (t instanceof ToolMissingException m) {
                Map<String, Object> body = body("ToolMissing", m.getMessage());
                body.put("tool", m.tool());
                body.put("install", m.install());
                return Optional.of(json(409, body));
            }
            if (t instanceof ApprovalRefusedException r) {
                Map<String, Object> body = body("ApprovalRefused", r.getMessage());
                body.put("variables", r.variables());
                return Optional.of(json(400, body));
            }
            if (t instanceof RunPathForbiddenException p) {
                return Optional.of(json(403, body("RunPathForbidden", p.getMessage())));
            }
            if (t instanceof FourEyesGuard.FourEyesViolationException f) {
                return Optional.of(json(403, body("FourEyesViolation", f.getMessage())));
            }
            if (t instanceof AuthorizationException denied) {
                Optional<String> fourEyes = FourEyesGuard.explain(ProcessEngines.getDefaultProcessEngine(false),
                        denied);
                if (fourEyes.isPresent()) {
                    Map<String, Object> body = body("FourEyesViolation", fourEyes.get());
                    body.put("userId", denied.getUserId());
                    return Optional.of(json(403, body));
                }
            }
        }
        return Optional.empty();
    }

    private static Map<String, Object> body(String type, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("message", shown(message));
        m.put("code", null);
        return m;
    }

    private static Response json(int status, Map<String, Object> body) {
        return Response.status(status).entity(body).type(MediaType.APPLICATION_JSON_TYPE).build();
    }

    /** Camunda's own answer, its message without server paths (the full message goes to the log). */
    static Response withoutServerPaths(Response camunda) {
        if (camunda.getEntity() instanceof ExceptionDto dto) {
            dto.setMessage(shown(dto.getMessage()));
        }
        return camunda;
    }

    private static String shown(String message) {
        String redacted = ServerPaths.redact(message);
        if (message != null && !message.equals(redacted)) {
            LOG.info("REST error answered without server paths; the full message: {}", message);
        }
        return redacted;
    }

    @Provider
    @Priority(1)
    public static class RestExceptionMapper implements ExceptionMapper<RestException> {
        private final RestExceptionHandler fallback = new RestExceptionHandler();

        @Override
        public Response toResponse(RestException e) {
            return map(e).orElseGet(() -> withoutServerPaths(fallback.toResponse(e)));
        }
    }

    @Provider
    @Priority(1)
    public static class EngineExceptionMapper implements ExceptionMapper<ProcessEngineException> {
        private final ProcessEngineExceptionHandler fallback = new ProcessEngineExceptionHandler();

        @Override
        public Response toResponse(ProcessEngineException e) {
            return map(e).orElseGet(() -> withoutServerPaths(fallback.toResponse(e)));
        }
    }

    /** Anything else a REST call throws (an {@code UncheckedIOException} from a listener, say): Camunda's mapping. */
    @Provider
    @Priority(1)
    public static class AnyExceptionMapper implements ExceptionMapper<Throwable> {
        private final ExceptionHandler fallback = new ExceptionHandler();

        @Override
        public Response toResponse(Throwable e) {
            return map(e).orElseGet(() -> withoutServerPaths(fallback.toResponse(e)));
        }
    }

    static List<String> handledTypes() {
        return List.of("RunbookInputException", "RunbookLockedException", "FourEyesViolation", "ApprovalRefused",
                "RunPathForbidden", "ToolMissing");
    }
}
