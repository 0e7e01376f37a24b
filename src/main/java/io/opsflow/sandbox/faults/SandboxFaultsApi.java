package io.opsflow.sandbox.faults;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.impl.identity.Authentication;
import org.springframework.http.HttpStatus;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.RouterFunctions;
import org.springframework.web.servlet.function.ServerRequest;
import org.springframework.web.servlet.function.ServerResponse;

import io.opsflow.sandbox.SandboxMail;

/**
 * {@code /api/sandbox/faults}: set, list and clear {@link SandboxFaults} (administrators only: 401 without a login,
 * 403 for anyone else; the route exists in sandbox mode only, elsewhere 404). Bad input answers 400 naming the field
 * and changes nothing.
 * <pre>
 * GET    /api/sandbox/faults                 {"faults":[{id, host, kind, command, args, nth, times, matched, fired, ...}]}
 * POST   /api/sandbox/faults                 {"host":"staging-web-2","kind":"fail-nth","command":"release-activate\\.sh",
 *                                             "args":"--app webapp","nth":1,"times":1}          → 201 the fault
 * DELETE /api/sandbox/faults/{id}            → 200 {"removed":1}; 404 unknown id
 * DELETE /api/sandbox/faults[?host=NAME]     → 200 {"removed":N}: every fault (of that host)
 * </pre>
 */
public final class SandboxFaultsApi {
    private static final String PATH = "/api/sandbox/faults";
    private static final Set<String> FIELDS = Set.of("host", "kind", "command", "args", "nth", "times", "application",
            "instance");

    private SandboxFaultsApi() {
    }

    public static RouterFunction<ServerResponse> routes(SandboxFaults faults, Supplier<IdentityService> identity) {
        return RouterFunctions.route()
                .GET(PATH, r -> admin(identity, () -> ServerResponse.ok().body(Map.of("faults",
                        faults.list().stream().map(faults::describe).toList()))))
                .POST(PATH, r -> admin(identity, () -> set(faults, r)))
                .DELETE(PATH + "/{id}", r -> admin(identity, () -> faults.clear(r.pathVariable("id"))
                        ? ServerResponse.ok().body(Map.of("removed", 1))
                        : error(HttpStatus.NOT_FOUND, "no sandbox fault " + r.pathVariable("id"))))
                .DELETE(PATH, r -> admin(identity, () -> {
                    String host = r.param("host").orElse(null);
                    try {
                        int n = host == null ? faults.clearAll() : faults.clearHost(host);
                        return ServerResponse.ok().body(Map.of("removed", n));
                    } catch (IllegalArgumentException e) {
                        return error(HttpStatus.BAD_REQUEST, e.getMessage());
                    }
                }))
                .build();
    }

    private static ServerResponse set(SandboxFaults faults, ServerRequest r) {
        Map<String, Object> body;
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> b = r.body(Map.class);
            body = b;
        } catch (Exception e) {
            return error(HttpStatus.BAD_REQUEST, "the body must be a JSON object: " + e.getMessage());
        }
        try {
            if (body == null) {
                throw new IllegalArgumentException("the body must be a JSON object");
            }
            List<String> unknown = body.keySet().stream().filter(k -> !FIELDS.contains(k)).sorted().toList();
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("unknown fields " + unknown + " (known: " + FIELDS + ")");
            }
            Object kind = body.get("kind");
            SandboxFaults.Spec spec = new SandboxFaults.Spec(text(body, "host"),
                    kind == null ? null : SandboxFaults.Kind.parse(String.valueOf(kind)), text(body, "command"),
                    text(body, "args"), integer(body, "nth"), integer(body, "times"), text(body, "application"),
                    text(body, "instance"));
            SandboxFaults.Fault f = faults.set(spec);
            return ServerResponse.status(HttpStatus.CREATED).body(faults.describe(f));
        } catch (IllegalArgumentException e) {
            return error(HttpStatus.BAD_REQUEST, e.getMessage());
        }
    }

    private static String text(Map<String, Object> body, String field) {
        Object v = body.get(field);
        if (v == null || v instanceof String) {
            return (String) v;
        }
        throw new IllegalArgumentException(field + " must be a string: " + v);
    }

    private static Integer integer(Map<String, Object> body, String field) {
        Object v = body.get(field);
        if (v == null || v instanceof Integer) {
            return (Integer) v;
        }
        throw new IllegalArgumentException(field + " must be an integer: " + v);
    }

    private static ServerResponse error(HttpStatus status, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", status == HttpStatus.NOT_FOUND ? "NotFound" : "BadRequest");
        m.put("message", message);
        return ServerResponse.status(status).body(m);
    }

    private static ServerResponse admin(Supplier<IdentityService> identity, Supplier<ServerResponse> then) {
        Authentication user = identity.get().getCurrentAuthentication();
        if (user == null) {
            return ServerResponse.status(HttpStatus.UNAUTHORIZED).build();
        }
        if (user.getGroupIds() == null || !user.getGroupIds().contains(SandboxMail.ADMINS)) {
            return ServerResponse.status(HttpStatus.FORBIDDEN)
                    .body(Map.of("type", "Forbidden", "message", "sandbox faults are for administrators"));
        }
        return then.get();
    }
}
