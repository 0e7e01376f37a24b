package io.opsflow.platform.approval;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What an approver signs: the runbook's declared inputs and evidence variables, as one canonical JSON document
 * (keys sorted at every level, numbers as written by Jackson, absent variables as {@code null}) and its SHA-256.
 * The same function runs when the approval is requested, when it is decided and before every step that acts, so a
 * difference in any of these variables is a different hash.
 */
public final class ApprovalDocument {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String json;
    private final String sha256;

    private ApprovalDocument(String json) {
        this.json = json;
        this.sha256 = sha256(json);
    }

    /** The document over {@code names} (sorted), each read from {@code variables}. */
    public static ApprovalDocument of(Collection<String> names, Map<String, Object> variables) {
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        for (String name : new TreeSet<>(names)) {
            doc.set(name, canonical(node(variables.get(name))));
        }
        try {
            return new ApprovalDocument(JSON.writeValueAsString(doc));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A stored document, read back. */
    public static ApprovalDocument parse(String json) {
        return new ApprovalDocument(json);
    }

    public String json() {
        return json;
    }

    public String sha256() {
        return sha256;
    }

    /** The variable names whose values differ between this document and {@code other} (sorted). */
    public List<String> differences(ApprovalDocument other) {
        Map<String, JsonNode> a = fields(json);
        Map<String, JsonNode> b = fields(other.json);
        TreeSet<String> names = new TreeSet<>(a.keySet());
        names.addAll(b.keySet());
        List<String> out = new ArrayList<>();
        for (String n : names) {
            JsonNode x = a.getOrDefault(n, JsonNodeFactory.instance.nullNode());
            JsonNode y = b.getOrDefault(n, JsonNodeFactory.instance.nullNode());
            if (!x.equals(y)) {
                out.add(n);
            }
        }
        return out;
    }

    /** The names the document covers. */
    public List<String> names() {
        return new ArrayList<>(fields(json).keySet());
    }

    private static Map<String, JsonNode> fields(String json) {
        try {
            Map<String, JsonNode> m = new TreeMap<>();
            Iterator<Map.Entry<String, JsonNode>> it = JSON.readTree(json).fields();
            it.forEachRemaining(e -> m.put(e.getKey(), e.getValue()));
            return m;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored approval document is not JSON", e);
        }
    }

    private static JsonNode node(Object value) {
        if (value == null) {
            return JsonNodeFactory.instance.nullNode();
        }
        if (value instanceof Date d) {
            return JsonNodeFactory.instance.textNode(d.toInstant().toString());
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            return JsonNodeFactory.instance.numberNode(((Number) value).longValue());
        }
        if (value.getClass().getName().startsWith("org.camunda.spin.")) {
            // a Spin JSON node: its text is JSON
            try {
                return JSON.readTree(value.toString());
            } catch (JsonProcessingException e) {
                return JsonNodeFactory.instance.textNode(value.toString());
            }
        }
        return JSON.valueToTree(value);
    }

    /** The same tree with object keys sorted at every level. */
    private static JsonNode canonical(JsonNode n) {
        if (n.isObject()) {
            ObjectNode sorted = JsonNodeFactory.instance.objectNode();
            new TreeSet<String>(iterable(n.fieldNames())).forEach(k -> sorted.set(k, canonical(n.get(k))));
            return sorted;
        }
        if (n.isArray()) {
            var arr = JsonNodeFactory.instance.arrayNode();
            n.forEach(e -> arr.add(canonical(e)));
            return arr;
        }
        return n;
    }

    private static List<String> iterable(Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
