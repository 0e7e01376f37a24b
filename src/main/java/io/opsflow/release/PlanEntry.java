package io.opsflow.release;

/**
 * One host's part of a release.
 *
 * @param host                    the host
 * @param instance                the instance the release changes (the live one for rolling/canary, the idle colour
 *                                for blue-green, the new instance for a deploy)
 * @param liveInstance            the instance serving traffic before the release (null for a first deploy)
 * @param fromVersion             the version served on the host before the release (null for a first deploy)
 * @param instancePreviousVersion what {@code instance} ran before (null when it did not exist): what compensation
 *                                puts back
 * @param toVersion               the version being released
 * @param batch                   0-based batch number (rolling/canary; 0 for blue-green and deploy)
 */
public record PlanEntry(String host, String instance, String liveInstance, String fromVersion,
                        String instancePreviousVersion, String toVersion, int batch) {
}
