package io.opsflow.fleet;

import java.net.URI;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One request through the load balancer: the HTTP status ({@code -1} when nothing answered, then {@code error}
 * says why) and the body. For the application contract's {@code GET /version} ({@code {"application","version",
 * "instance"}}), {@link #version()} and {@link #instance()} read the answer.
 */
public record TrafficAnswer(URI uri, int status, String body, String error) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern VERSION_FIELD = Pattern.compile("\"version\"\\s*:\\s*\"([^\"]{1,100})\"");

    public boolean answered() {
        return status > 0;
    }

    /** The {@code "version"} an answer names, or null. */
    public String version() {
        return versionIn(body);
    }

    /** The {@code "instance"} that answered ({@code ?} when the answer names none), or null when it is not JSON. */
    public String instance() {
        try {
            JsonNode j = JSON.readTree(body == null ? "" : body);
            return j == null || !j.isObject() ? null : j.path("instance").asText("?");
        } catch (java.io.IOException e) {
            return null;
        }
    }

    static String versionIn(String body) {
        if (body == null) {
            return null;
        }
        Matcher m = VERSION_FIELD.matcher(body);
        return m.find() ? m.group(1) : null;
    }
}
