package io.opsflow.step.terraform;

import java.nio.file.Path;

/**
 * An apply that ran (or had already run for this exact plan: {@code alreadyApplied}, when a retried job finds the
 * marker the first, successful attempt left — Terraform would otherwise refuse the now-stale plan).
 */
public record ApplyResult(Path planFile, String sha256, boolean alreadyApplied) {
}
