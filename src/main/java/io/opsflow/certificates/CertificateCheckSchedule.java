package io.opsflow.certificates;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.RepositoryService;
import org.camunda.bpm.engine.impl.calendar.CronTimer;
import org.camunda.bpm.engine.repository.DeploymentWithDefinitions;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.camunda.bpm.model.bpmn.instance.CallActivity;
import org.camunda.bpm.model.bpmn.instance.camunda.CamundaIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The scheduled check: one generated process per environment with a TLS edge, {@code opsflow-certificate-check-<env>},
 * whose timer start event ({@code opsflow.certificates.check-cron}, default every 12 hours) starts renew-certificates
 * for that environment. A timer start event carries no variables and its cron is read once at deployment, so the
 * configuration is compiled into these small processes and deployed at startup (deployment
 * {@code opsflow-certificate-checks}, changed checks only; a changed cron deploys a new version that replaces the
 * old timer; an environment no longer configured gets a version without a timer). The call is asynchronous: a check
 * that cannot start (another certificate run holds the environment's lock) becomes an incident on the schedule run,
 * and the timer keeps firing.
 */
@Component
public class CertificateCheckSchedule {
    public static final String KEY_PREFIX = "opsflow-certificate-check-";
    public static final String DEPLOYMENT = "opsflow-certificate-checks";
    private static final Logger LOG = LoggerFactory.getLogger(CertificateCheckSchedule.class);

    private final CertificatesProperties props;
    private final ObjectProvider<ProcessEngine> engine;

    public CertificateCheckSchedule(CertificatesProperties props, ObjectProvider<ProcessEngine> engine) {
        this.props = props;
        this.engine = engine;
    }

    /** Refuses to start with a cron Camunda 7.24 cannot parse, naming the key. */
    @jakarta.annotation.PostConstruct
    public void validate() {
        String cron = props.getCheckCron().trim();
        try {
            CronTimer.parse(cron);
        } catch (ParseException | RuntimeException e) {
            throw new IllegalStateException("opsflow.certificates.check-cron = \"" + cron + "\" is not a valid cron: "
                    + "Camunda 7.24 uses 6 fields (second minute hour day-of-month month day-of-week), e.g. "
                    + "\"0 0 */12 * * *\" for every 12 hours (" + e.getMessage() + ")", e);
        }
    }

    @EventListener(ApplicationReadyEvent.class)
    public void onApplicationReady() {
        ProcessEngine e = engine.getIfAvailable();
        if (e != null) {
            deploy(e.getRepositoryService());
        }
    }

    /** Deploys what changed (compared with the latest deployed version of each check); null when nothing did. */
    public DeploymentWithDefinitions deploy(RepositoryService repository) {
        Map<String, String> deployed = new LinkedHashMap<>();
        repository.createProcessDefinitionQuery().processDefinitionKeyLike(KEY_PREFIX + "%").latestVersion().list()
                .forEach(d -> deployed.put(d.getKey(), read(repository, d.getDeploymentId(), d.getResourceName())));
        Map<String, String> changed = new LinkedHashMap<>();
        models(List.copyOf(deployed.keySet())).forEach((key, model) -> {
            String xml = stableXml(model);
            if (!xml.equals(deployed.get(key))) {
                changed.put(key + ".bpmn", xml);
            }
        });
        if (changed.isEmpty()) {
            LOG.info("certificate checks ({}): unchanged {}", props.getCheckCron(), deployed.keySet());
            return null;
        }
        var builder = repository.createDeployment().name(DEPLOYMENT).source("opsflow");
        changed.forEach(builder::addString);
        DeploymentWithDefinitions d = builder.deployWithResult();
        LOG.info("certificate checks ({}): deployed {}", props.getCheckCron(), d.getDeployedProcessDefinitions()
                .stream().map(p -> p.getKey() + ":" + p.getVersion()).toList());
        return d;
    }

    private static String read(RepositoryService repository, String deploymentId, String resource) {
        try (InputStream in = repository.getResourceAsStream(deploymentId, resource)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** One model per configured edge, and a timer-less one for each earlier check no longer configured. */
    Map<String, BpmnModelInstance> models(List<String> deployedKeys) {
        Map<String, BpmnModelInstance> out = new LinkedHashMap<>();
        props.getEnvironments().keySet().forEach(env -> out.put(KEY_PREFIX + env, check(env)));
        deployedKeys.stream().filter(k -> !out.containsKey(k)).forEach(k -> out.put(k, Bpmn
                .createExecutableProcess(k).name("Certificate check (no longer configured)")
                .camundaHistoryTimeToLive(30).startEvent("Event_Removed").endEvent("Event_Nothing").done()));
        return out;
    }

    /**
     * The model as XML with the builder's random ids (type_UUID) numbered in order of appearance, so an unchanged
     * configuration gives the same bytes and deploys nothing (duplicate filtering).
     */
    static String stableXml(BpmnModelInstance model) {
        Matcher m = RANDOM_ID.matcher(Bpmn.convertToString(model));
        Map<String, String> ids = new LinkedHashMap<>();
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String id = ids.computeIfAbsent(m.group(), k -> "Generated_" + (ids.size() + 1));
            m.appendReplacement(out, id);
        }
        m.appendTail(out);
        return out.toString();
    }

    private static final Pattern RANDOM_ID = Pattern.compile(
            "[A-Za-z]+_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    BpmnModelInstance check(String env) {
        String cron = props.getCheckCron().trim();
        BpmnModelInstance m = Bpmn.createExecutableProcess(KEY_PREFIX + env)
                .name("Scheduled certificate check of " + env).camundaHistoryTimeToLive(30)
                .startEvent("Event_Timer").name("Every " + cron).timerWithCycle(cron)
                .callActivity("CallActivity_Check").name("Check and renew " + env + " certificates")
                .calledElement(RenewCertificatesRunbook.PROCESS_KEY).camundaAsyncBefore()
                .endEvent("Event_Done").name("Checked").done();
        CallActivity call = m.getModelElementById("CallActivity_Check");
        call.builder().addExtensionElement(in(m, env, "environment"))
                .addExtensionElement(in(m, "scheduled check (" + cron + ")", "reason"));
        return m;
    }

    private static CamundaIn in(BpmnModelInstance m, String value, String target) {
        CamundaIn in = m.newInstance(CamundaIn.class);
        in.setCamundaSourceExpression(value);
        in.setCamundaTarget(target);
        return in;
    }
}
