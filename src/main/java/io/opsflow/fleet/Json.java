package io.opsflow.fleet;

import com.fasterxml.jackson.databind.JsonNode;

/** Reading the keys of a worker script's JSON result (docs/contracts.md: {@code …|null} keys may be null). */
final class Json {
    private Json() {
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    static Integer integer(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isNumber() ? v.asInt() : null;
    }

    static Boolean bool(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isBoolean() ? v.asBoolean() : null;
    }
}
