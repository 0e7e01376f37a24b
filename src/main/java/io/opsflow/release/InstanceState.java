package io.opsflow.release;

/**
 * One application instance on one host as observed live: its name ({@code blue}, {@code green}, {@code i1} …), the
 * version its {@code current} link points to, and whether its process runs.
 */
public record InstanceState(String host, String instance, String version, boolean running) {
}
