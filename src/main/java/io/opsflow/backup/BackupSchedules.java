package io.opsflow.backup;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.RepositoryService;
import org.camunda.bpm.engine.impl.calendar.CronTimer;
import org.camunda.bpm.engine.repository.DeploymentWithDefinitions;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import io.opsflow.database.BackupProperties;
import io.opsflow.database.BackupTargets;
import io.opsflow.environments.Environment;

/**
 * The schedules of backups and restore drills, one cron per environment from configuration
 * ({@code opsflow.backup.environments.<env>.cron} / {@code .drill-cron}), as generated processes
 * {@code opsflow-schedule-backup-<env>} and {@code opsflow-schedule-drill-<env>}: a timer start event calling
 * {@code backup} (purpose scheduled) or {@code restore} (the latest backup into scratch). A timer start event cannot
 * carry variables (the environment), its cron is evaluated once at deployment, and Camunda 7 allows one timer start
 * event per process, so the configuration is compiled into one small process per schedule and deployed at startup
 * (deployment {@code opsflow-schedules}, changed resources only): an unchanged configuration deploys nothing, a
 * changed cron deploys a new version, which replaces the previous version's timer. A schedule removed from the
 * configuration is replaced by a version without a timer, so it stops firing.
 */
@Component
public class BackupSchedules {
    public static final String DEPLOYMENT = "opsflow-schedules";
    public static final String KEY_PREFIX = "opsflow-schedule-";
    private static final Logger LOG = LoggerFactory.getLogger(BackupSchedules.class);

    private final BackupProperties props;
    private final BackupTargets targets;
    private final ObjectProvider<ProcessEngine> engine;

    @org.springframework.beans.factory.annotation.Autowired
    public BackupSchedules(BackupProperties props, BackupTargets targets, ObjectProvider<ProcessEngine> engine) {
        this.props = props;
        this.targets = targets;
        this.engine = engine;
    }

    /** Without Spring (tests): deploy with {@link #deploy(RepositoryService)}. */
    public BackupSchedules(BackupProperties props, BackupTargets targets) {
        this(props, targets, null);
    }

    /** One scheduled start: kind "backup" or "drill". */
    public record Schedule(String environment, String kind, String cron, String target) {
        public String processKey() {
            return KEY_PREFIX + kind + "-" + environment;
        }
    }

    /** The configured schedules; fails with a message naming the key when a cron or a target is wrong. */
    public List<Schedule> schedules() {
        List<Schedule> out = new ArrayList<>();
        props.getEnvironments().forEach((env, cfg) -> {
            if (!targets.environments().exists(env)) {
                throw new IllegalStateException("opsflow.backup.environments." + env + ": no such environment "
                        + "(opsflow.environments: " + targets.environments().names() + ")");
            }
            if (blank(cfg.getCron()) && blank(cfg.getDrillCron())) {
                return;
            }
            if (targets.names(env).isEmpty()) {
                throw new IllegalStateException("opsflow.backup.environments." + env + " schedules backups, but "
                        + env + " has nothing to back up (opsflow.environments." + env + ".databases, "
                        + "opsflow.backup.environments." + env + ".directories)");
            }
            if (!blank(cfg.getCron())) {
                out.add(new Schedule(env, "backup", checkCron(cfg.getCron(), "opsflow.backup.environments." + env
                        + ".cron"), null));
            }
            if (!blank(cfg.getDrillCron())) {
                String target = drillTarget(env).orElseThrow(() -> new IllegalStateException(
                        "opsflow.backup.environments." + env + ".drill-cron is set but " + env
                                + " has no database to drill (set drill-target)"));
                if (targets.find(env, target).isEmpty()) {
                    throw new IllegalStateException("opsflow.backup.environments." + env + ".drill-target '" + target
                            + "' is not a backup target of " + env + "; configured: " + targets.names(env));
                }
                out.add(new Schedule(env, "drill", checkCron(cfg.getDrillCron(), "opsflow.backup.environments." + env
                        + ".drill-cron"), target));
            }
        });
        return out;
    }

    /** The drill's target: configured, else the first database. */
    private Optional<String> drillTarget(String env) {
        String t = props.environment(env).getDrillTarget();
        if (t != null) {
            return Optional.of(t);
        }
        return targets.environments().get(env).databases().stream().map(Environment.Database::name).findFirst();
    }

    /** Validates a cron with the engine's own parser (6 fields, Spring syntax, since 7.24). */
    public static String checkCron(String cron, String key) {
        String c = cron.trim();
        if (!c.matches("[0-9A-Za-z*/,?#LW -]{1,120}")) {
            throw new IllegalStateException(key + " = \"" + cron + "\" contains characters a cron does not have");
        }
        try {
            CronTimer.parse(c);
        } catch (ParseException | RuntimeException e) {
            throw new IllegalStateException(key + " = \"" + cron + "\" is not a valid cron: Camunda 7.24 uses the "
                    + "6-field Spring syntax (second minute hour day-of-month month day-of-week), e.g. \"0 0 2 * * *\" "
                    + "for 02:00 every day (" + e.getMessage() + ")", e);
        }
        return c;
    }

    /**
     * The resources to deploy (resource name → BPMN): one per configured schedule, plus a timer-less version of every
     * earlier schedule process that is no longer configured. Deterministic for a given configuration.
     */
    public Map<String, String> resources(Collection<String> deployedKeys) {
        Map<String, String> out = new TreeMap<>();
        List<Schedule> schedules = schedules();
        for (Schedule s : schedules) {
            out.put(s.processKey() + ".bpmn", bpmn(s));
        }
        for (String key : deployedKeys) {
            if (schedules.stream().noneMatch(s -> s.processKey().equals(key))) {
                out.put(key + ".bpmn", removed(key));
            }
        }
        return out;
    }

    /**
     * Deploys what changed (nothing when the configuration is unchanged). Returns the deployment, or null when
     * there is nothing to deploy.
     */
    public DeploymentWithDefinitions deploy(RepositoryService repository) {
        List<String> deployed = repository.createProcessDefinitionQuery().processDefinitionKeyLike(KEY_PREFIX + "%")
                .latestVersion().list().stream().map(d -> d.getKey()).toList();
        Map<String, String> resources = resources(deployed);
        if (resources.isEmpty()) {
            return null;
        }
        var builder = repository.createDeployment().name(DEPLOYMENT).source("opsflow").enableDuplicateFiltering(true);
        resources.forEach((name, xml) -> {
            byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
            Bpmn.validateModel(Bpmn.readModelFromStream(new ByteArrayInputStream(bytes)));
            builder.addInputStream(name, new ByteArrayInputStream(bytes));
        });
        DeploymentWithDefinitions d = builder.deployWithResult();
        List<?> defs = d.getDeployedProcessDefinitions();
        LOG.info("backup schedules: {}; {}", schedules(), defs == null || defs.isEmpty() ? "unchanged"
                : "deployed " + d.getDeployedProcessDefinitions().stream().map(p -> p.getKey() + ":" + p.getVersion())
                        .toList());
        return d;
    }

    /** Fails the start when a schedule is misconfigured (bad cron, unknown environment or target). */
    @jakarta.annotation.PostConstruct
    public void validate() {
        schedules();
    }

    /** Deploys the schedules once the application (and with it the engine and the runbooks) is up. */
    @EventListener(org.springframework.boot.context.event.ApplicationReadyEvent.class)
    public void onApplicationReady() {
        ProcessEngine e = engine == null ? null : engine.getIfAvailable();
        if (e != null && deploy(e.getRepositoryService()) == null) {
            LOG.info("backup schedules: none configured (opsflow.backup.environments.<env>.cron / .drill-cron)");
        }
    }

    /** The process of one schedule. */
    public String bpmn(Schedule s) {
        boolean backup = s.kind().equals("backup");
        StringBuilder p = new StringBuilder();
        p.append("    <bpmn:startEvent id=\"Event_Timer\" name=\"")
                .append(backup ? "Backup " : "Restore drill ").append(s.environment())
                .append(" (").append(xml(s.cron())).append(")\">\n")
                .append("      <bpmn:outgoing>Flow_ToRun</bpmn:outgoing>\n")
                .append("      <bpmn:timerEventDefinition id=\"TimerEventDefinition_Cron\">\n")
                .append("        <bpmn:timeCycle xsi:type=\"bpmn:tFormalExpression\">").append(xml(s.cron()))
                .append("</bpmn:timeCycle>\n      </bpmn:timerEventDefinition>\n    </bpmn:startEvent>\n")
                .append("    <bpmn:sequenceFlow id=\"Flow_ToRun\" sourceRef=\"Event_Timer\" targetRef=\"CallActivity_Run\"/>\n")
                .append("    <bpmn:callActivity id=\"CallActivity_Run\" name=\"")
                .append(backup ? "Back up " + s.environment() : "Restore latest " + s.target() + " into scratch")
                .append("\" calledElement=\"").append(backup ? "backup" : "restore")
                .append("\" camunda:calledElementBinding=\"latest\">\n      <bpmn:extensionElements>\n");
        in(p, s.environment(), "environment");
        if (backup) {
            in(p, "scheduled", "purpose");
            in(p, "scheduled backup (" + s.cron() + ")", "reason");
        } else {
            in(p, "latest", "backupId");
            in(p, s.target(), "target");
            in(p, "scratch", "targetKind");
            in(p, "scheduled restore drill (" + s.cron() + ")", "reason");
        }
        p.append("        <camunda:out source=\"outcome\" target=\"runOutcome\"/>\n")
                .append("      </bpmn:extensionElements>\n      <bpmn:incoming>Flow_ToRun</bpmn:incoming>\n")
                .append("      <bpmn:outgoing>Flow_ToDone</bpmn:outgoing>\n    </bpmn:callActivity>\n")
                .append("    <bpmn:sequenceFlow id=\"Flow_ToDone\" sourceRef=\"CallActivity_Run\" targetRef=\"Event_Done\"/>\n")
                .append("    <bpmn:endEvent id=\"Event_Done\" name=\"Done\">\n")
                .append("      <bpmn:incoming>Flow_ToDone</bpmn:incoming>\n    </bpmn:endEvent>\n");
        StringBuilder di = new StringBuilder();
        shape(di, "Event_Timer", 152, 102, 36, 36);
        shape(di, "CallActivity_Run", 260, 80, 160, 80);
        shape(di, "Event_Done", 492, 102, 36, 36);
        edge(di, "Flow_ToRun", 188, 120, 260, 120);
        edge(di, "Flow_ToDone", 420, 120, 492, 120);
        return definitions(s.processKey(), (backup ? "Scheduled backup of " : "Scheduled restore drill of ")
                + s.environment(), "Generated at startup from opsflow.backup.environments." + s.environment() + "."
                + (backup ? "cron" : "drill-cron") + "; do not edit.", p.toString(), di.toString());
    }

    /** A schedule process without a timer: deployed when a schedule disappears from the configuration. */
    public static String removed(String key) {
        String p = "    <bpmn:startEvent id=\"Event_Removed\" name=\"Schedule removed from the configuration\">\n"
                + "      <bpmn:outgoing>Flow_Removed</bpmn:outgoing>\n    </bpmn:startEvent>\n"
                + "    <bpmn:sequenceFlow id=\"Flow_Removed\" sourceRef=\"Event_Removed\" targetRef=\"Event_Nothing\"/>\n"
                + "    <bpmn:endEvent id=\"Event_Nothing\">\n      <bpmn:incoming>Flow_Removed</bpmn:incoming>\n"
                + "    </bpmn:endEvent>\n";
        StringBuilder di = new StringBuilder();
        shape(di, "Event_Removed", 152, 102, 36, 36);
        shape(di, "Event_Nothing", 292, 102, 36, 36);
        edge(di, "Flow_Removed", 188, 120, 292, 120);
        return definitions(key, "Removed schedule", "This schedule is no longer configured; it does not fire.", p,
                di.toString());
    }

    private static String definitions(String key, String name, String doc, String process, String di) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
                + "xmlns:bpmndi=\"http://www.omg.org/spec/BPMN/20100524/DI\" "
                + "xmlns:dc=\"http://www.omg.org/spec/DD/20100524/DC\" "
                + "xmlns:di=\"http://www.omg.org/spec/DD/20100524/DI\" "
                + "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\" "
                + "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" id=\"Definitions_" + key + "\" "
                + "targetNamespace=\"http://opsflow.io/bpmn\" exporter=\"opsflow BackupSchedules\" exporterVersion=\"1\">\n"
                + "  <bpmn:process id=\"" + key + "\" name=\"" + xml(name) + "\" isExecutable=\"true\" "
                + "camunda:historyTimeToLive=\"P30D\">\n"
                + "    <bpmn:documentation>" + xml(doc) + "</bpmn:documentation>\n"
                + process
                + "  </bpmn:process>\n"
                + "  <bpmndi:BPMNDiagram id=\"BPMNDiagram_" + key + "\">\n"
                + "    <bpmndi:BPMNPlane id=\"BPMNPlane_" + key + "\" bpmnElement=\"" + key + "\">\n"
                + di
                + "    </bpmndi:BPMNPlane>\n  </bpmndi:BPMNDiagram>\n</bpmn:definitions>\n";
    }

    private static void in(StringBuilder p, String value, String target) {
        p.append("        <camunda:in sourceExpression=\"").append(xml(value)).append("\" target=\"").append(target)
                .append("\"/>\n");
    }

    private static void shape(StringBuilder di, String id, int x, int y, int w, int h) {
        di.append("      <bpmndi:BPMNShape id=\"").append(id).append("_di\" bpmnElement=\"").append(id)
                .append("\">\n        <dc:Bounds x=\"").append(x).append("\" y=\"").append(y).append("\" width=\"")
                .append(w).append("\" height=\"").append(h).append("\"/>\n      </bpmndi:BPMNShape>\n");
    }

    private static void edge(StringBuilder di, String id, int x1, int y1, int x2, int y2) {
        di.append("      <bpmndi:BPMNEdge id=\"").append(id).append("_di\" bpmnElement=\"").append(id)
                .append("\">\n        <di:waypoint x=\"").append(x1).append("\" y=\"").append(y1)
                .append("\"/>\n        <di:waypoint x=\"").append(x2).append("\" y=\"").append(y2)
                .append("\"/>\n      </bpmndi:BPMNEdge>\n");
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
