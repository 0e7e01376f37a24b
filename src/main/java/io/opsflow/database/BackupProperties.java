package io.opsflow.database;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Backup, restore and migration settings ({@code opsflow.backup.*}). What to back up comes from the environment's
 * configuration ({@code opsflow.environments.<env>.databases}) plus the directories listed here; schedules,
 * retention and writers are per environment.
 *
 * <pre>
 * opsflow:
 *   backup:
 *     offsite:
 *       kind: directory                  # the only kind today; the OffsiteStore interface admits s3 later
 *       directory: /mnt/storagebox/opsflow # on the opsflow machine (mounted storage box, NFS …);
 *                                        # default ${opsflow.var-dir}/backups/offsite
 *     host-staging-dir: .opsflow/backups # on the host, relative to the SSH user's home unless absolute
 *     retention: { daily: 7, weekly: 4 } # defaults for every environment
 *     environments:
 *       production:
 *         cron: "0 0 2 * * *"            # 6-field Spring cron (sec min hour day month weekday), JVM time zone
 *         drill-cron: "0 0 4 * * SUN"    # restore drill of the latest backup into a scratch database
 *         drill-target: appdb            # default: the first database
 *         retention: { daily: 14, weekly: 8 }
 *         directories:
 *           - { name: uploads, host: web-1, path: /var/www/uploads }
 *         writers:                       # application instances that write a database: stopped during restore
 *           appdb: [webapp]
 *     applications:                      # which database an application's migrations go to
 *       webapp: { database: appdb }
 * </pre>
 */
@Validated
@ConfigurationProperties(prefix = "opsflow.backup")
public class BackupProperties {

    @Valid
    private Offsite offsite = new Offsite();

    /** Where dumps are written on the host before they go offsite (relative paths: the SSH user's home). */
    @NotBlank
    @Pattern(regexp = "[A-Za-z0-9._/][A-Za-z0-9._/-]{0,199}", message = "a path of letters, digits, '.', '_', '/', '-'")
    private String hostStagingDir = ".opsflow/backups";

    @Valid
    private Retention retention = new Retention();

    @Valid
    private Map<@Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}") String, EnvironmentBackup> environments =
            new LinkedHashMap<>();

    @Valid
    private Map<@Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}") String, Application> applications =
            new LinkedHashMap<>();

    /** Time limit of one dump, restore or migration on a host. */
    @NotNull
    private Duration stepTimeout = Duration.ofMinutes(50);

    /** Files in the offsite store without a catalog row, older than this, are deleted by retention. */
    @NotNull
    private Duration orphanGrace = Duration.ofHours(24);

    public Offsite getOffsite() { return offsite; }
    public void setOffsite(Offsite v) { this.offsite = v; }
    public String getHostStagingDir() { return hostStagingDir; }
    public void setHostStagingDir(String v) { this.hostStagingDir = v; }
    public Retention getRetention() { return retention; }
    public void setRetention(Retention v) { this.retention = v; }
    public Map<String, EnvironmentBackup> getEnvironments() { return environments; }
    public void setEnvironments(Map<String, EnvironmentBackup> v) { this.environments = v; }
    public Map<String, Application> getApplications() { return applications; }
    public void setApplications(Map<String, Application> v) { this.applications = v; }
    public Duration getStepTimeout() { return stepTimeout; }
    public void setStepTimeout(Duration v) { this.stepTimeout = v; }
    public Duration getOrphanGrace() { return orphanGrace; }
    public void setOrphanGrace(Duration v) { this.orphanGrace = v; }

    /** The environment's settings, or empty defaults. */
    public EnvironmentBackup environment(String env) {
        return environments.getOrDefault(env, new EnvironmentBackup());
    }

    /** Retention of an environment: its own, else the global default. */
    public Retention retention(String env) {
        Retention r = environment(env).getRetention();
        return r != null ? r : retention;
    }

    public static class Offsite {
        @NotBlank
        @Pattern(regexp = "directory", message = "must be 'directory' (an S3-compatible store can be added)")
        private String kind = "directory";
        /** Root of the directory store; empty: {@code <opsflow.var-dir>/backups/offsite}. */
        private String directory;

        public String getKind() { return kind; }
        public void setKind(String v) { this.kind = v; }
        public String getDirectory() { return directory; }
        public void setDirectory(String v) { this.directory = v; }

        public Path directoryPath(String varDir) {
            String d = directory == null || directory.isBlank() ? varDir + "/backups/offsite" : directory;
            return Path.of(d).toAbsolutePath().normalize();
        }
    }

    public static class Retention {
        /** Keep the newest backup of each of the last N days that have backups (at least 1). */
        @Min(1)
        @Max(3660)
        private int daily = 7;
        /** Keep the newest backup of each of the last M ISO weeks that have backups. */
        @Min(0)
        @Max(520)
        private int weekly = 4;
        /** A pre-migration backup is kept at least this many days after it was taken (the migration's way back). */
        @Min(0)
        @Max(3660)
        private int preMigrationDays = 14;

        public Retention() {
        }

        public Retention(int daily, int weekly) {
            this.daily = daily;
            this.weekly = weekly;
        }

        public int getDaily() { return daily; }
        public void setDaily(int v) { this.daily = v; }
        public int getWeekly() { return weekly; }
        public void setWeekly(int v) { this.weekly = v; }
        public int getPreMigrationDays() { return preMigrationDays; }
        public void setPreMigrationDays(int v) { this.preMigrationDays = v; }
    }

    public static class EnvironmentBackup {
        /** Cron of the scheduled backup of all targets (6-field Spring syntax); empty: no schedule. */
        private String cron;
        /** Cron of the restore drill; empty: no drill. */
        private String drillCron;
        /** Target the drill restores; default: the environment's first database. */
        @Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}")
        private String drillTarget;
        @Valid
        private Retention retention;
        @Valid
        private List<Directory> directories = new ArrayList<>();
        /** Database name → applications whose instances write it (stopped while it is restored). */
        private Map<String, List<@Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}") String>> writers =
                new LinkedHashMap<>();

        public String getCron() { return cron; }
        public void setCron(String v) { this.cron = v; }
        public String getDrillCron() { return drillCron; }
        public void setDrillCron(String v) { this.drillCron = v; }
        public String getDrillTarget() { return drillTarget; }
        public void setDrillTarget(String v) { this.drillTarget = v; }
        public Retention getRetention() { return retention; }
        public void setRetention(Retention v) { this.retention = v; }
        public List<Directory> getDirectories() { return directories; }
        public void setDirectories(List<Directory> v) { this.directories = v; }
        public Map<String, List<String>> getWriters() { return writers; }
        public void setWriters(Map<String, List<String>> v) { this.writers = v; }
    }

    public static class Directory {
        @NotBlank
        @Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}")
        private String name;
        /** Host (by name) holding the directory; default: the environment's first host. */
        @Pattern(regexp = "[a-z0-9][a-z0-9.-]{0,62}")
        private String host;
        /** Absolute path, or relative to the SSH user's home. */
        @NotBlank
        @Pattern(regexp = "[A-Za-z0-9._/][A-Za-z0-9._/-]{0,299}", message = "a path of letters, digits, '.', '_', '/', '-'")
        private String path;

        public Directory() {
        }

        public Directory(String name, String host, String path) {
            this.name = name;
            this.host = host;
            this.path = path;
        }

        public String getName() { return name; }
        public void setName(String v) { this.name = v; }
        public String getHost() { return host; }
        public void setHost(String v) { this.host = v; }
        public String getPath() { return path; }
        public void setPath(String v) { this.path = v; }
    }

    public static class Application {
        /** Name of the database (in the environment's databases) the application's migrations apply to. */
        @Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}")
        private String database;

        public String getDatabase() { return database; }
        public void setDatabase(String v) { this.database = v; }
    }
}
