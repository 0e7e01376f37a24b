package io.opsflow.platform.forms;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Constructor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.platform.runbook.InputSpec;
import io.opsflow.platform.runbook.MaintenanceInputs;
import io.opsflow.platform.runbook.RunbookDefinition;

/**
 * The start forms (static/forms/*-start.html, embedded forms with choices from the live API) against the diagrams
 * and the runbooks: every runbook start event names an embedded form that exists, no Camunda Form start form is
 * left, and each form's fields are inputs its runbook declares, with the variable type the runbook expects
 * (integer fields → Integer, checkboxes → Boolean, everything else String), the runbook's choices and defaults, and
 * every input the runbook requires marked required.
 */
class StartFormsTest {
    static final Path FORMS = Path.of("src/main/resources/static/forms");
    static final Pattern FORM_KEY = Pattern.compile("camunda:formKey=\"embedded:/forms/([a-z-]+-start\\.html)\"");
    static final Pattern FIELD = Pattern.compile("^\\s*(\\{\"name\": .*\\}),?$", Pattern.MULTILINE);
    static final ObjectMapper JSON = new ObjectMapper();

    static final Map<String, String> RUNBOOKS = Map.of(
            "release-version", "io.opsflow.release.ReleaseVersionRunbook",
            "deploy-application", "io.opsflow.release.DeployApplicationRunbook",
            "scale-service", "io.opsflow.scale.ScaleServiceRunbook",
            "restart-platform", "io.opsflow.restart.RestartPlatformRunbook",
            "migrate-database", "io.opsflow.migrate.MigrateDatabaseRunbook",
            "backup", "io.opsflow.backup.BackupRunbook",
            "analyze-logs", "io.opsflow.logs.AnalyzeLogsRunbook",
            "renew-certificates", "io.opsflow.certificates.RenewCertificatesRunbook",
            "provision-infrastructure", "io.opsflow.provision.ProvisionInfrastructureRunbook");

    @Test
    void everyStartEventNamesAnEmbeddedFormThatExistsAndNoCamundaStartFormIsLeft() throws Exception {
        Map<String, String> formOf = new LinkedHashMap<>();
        try (Stream<Path> s = Files.list(Path.of("processes"))) {
            for (Path bpmn : s.filter(p -> p.toString().endsWith(".bpmn")).sorted().toList()) {
                String xml = Files.readString(bpmn);
                assertThat(xml).as(bpmn + ": start forms are embedded forms now").doesNotContain("-start\"");
                Matcher m = FORM_KEY.matcher(xml);
                if (m.find()) {
                    formOf.put(bpmn.getFileName().toString().replace(".bpmn", ""), m.group(1));
                    assertThat(FORMS.resolve(m.group(1))).as(bpmn + " names it").isRegularFile();
                }
            }
        }
        assertThat(formOf.keySet()).containsAll(RUNBOOKS.keySet()).contains("restore");
        try (Stream<Path> s = Files.list(Path.of("processes"))) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith("-start.form"))).isEmpty();
        }
    }

    @Test
    void eachFormsFieldsAreItsRunbooksInputsWithTheirTypesAndRequiredness() throws Exception {
        for (Map.Entry<String, String> e : RUNBOOKS.entrySet()) {
            RunbookDefinition runbook = instantiate(e.getValue());
            Map<String, InputSpec> inputs = new LinkedHashMap<>();
            runbook.declaredInputs().forEach(i -> inputs.put(i.name(), i));
            List<JsonNode> fields = fields(e.getKey());
            assertThat(fields.stream().anyMatch(f -> f.path("name").asText().equals(MaintenanceInputs.RUN_AT)))
                    .as(e.getKey() + ": asks when to run exactly when the runbook waits for maintenance windows")
                    .isEqualTo(runbook.waitsForMaintenanceWindow());
            assertThat(fields).as(e.getKey()).isNotEmpty();
            assertThat(fields.get(0).path("kind").asText()).as(e.getKey() + ": environment first").isEqualTo("environment");
            for (JsonNode f : fields) {
                String name = f.path("name").asText();
                String what = e.getKey() + " field " + name;
                assertThat(inputs).as(what + " is a declared input").containsKey(name);
                InputSpec in = inputs.get(name);
                InputSpec.Type expected = switch (f.path("kind").asText()) {
                    case "integer" -> InputSpec.Type.INTEGER;
                    case "boolean" -> InputSpec.Type.BOOLEAN;
                    default -> InputSpec.Type.STRING;
                };
                assertThat(in.type()).as(what + " type").isEqualTo(expected);
                // a form may ask for more than its runbook requires (scale: instances, where an alert passes delta)
                if (in.isRequired() && in.defaultValue() == null) {
                    assertThat(f.path("required").asBoolean(false)).as(what + ": the runbook requires it").isTrue();
                }
                if (!in.allowedValues().isEmpty()) {
                    List<String> offered = new ArrayList<>();
                    f.path("options").forEach(o -> offered.add(o.path("value").asText()));
                    assertThat(offered).as(what + " offers the runbook's choices").containsExactlyElementsOf(
                            in.allowedValues());
                }
                if (f.has("default") && in.defaultValue() != null) {
                    assertThat(f.get("default").asText()).as(what + " default").isEqualTo(String.valueOf(
                            in.defaultValue()));
                }
            }
        }
    }

    @Test
    void scaleAsksWhetherToWaitForTheCooldownUntickedByDefault() throws Exception {
        JsonNode f = fields("scale-service").stream().filter(n -> n.path("name").asText().equals("honourCooldown"))
                .findFirst().orElseThrow();
        assertThat(f.path("kind").asText()).isEqualTo("boolean");
        assertThat(f.path("label").asText()).isEqualTo("Wait for the cooldown after the last scale");
        assertThat(f.path("default").asBoolean(true)).isFalse();
        assertThat(Files.readString(FORMS.resolve("scale-service-start.html"))).doesNotContain("ignoreCooldown");
    }

    static List<JsonNode> fields(String key) throws Exception {
        Matcher m = FIELD.matcher(Files.readString(FORMS.resolve(key + "-start.html")));
        List<JsonNode> out = new ArrayList<>();
        while (m.find()) {
            out.add(JSON.readTree(m.group(1)));
        }
        return out;
    }

    /** The runbook built with the fewest arguments that works (properties objects new, anything else null). */
    static RunbookDefinition instantiate(String className) throws Exception {
        Constructor<?>[] constructors = Class.forName(className).getDeclaredConstructors();
        Arrays.sort(constructors, Comparator.comparingInt(Constructor::getParameterCount));
        Exception last = null;
        for (Constructor<?> c : constructors) {
            Object[] args = new Object[c.getParameterCount()];
            for (int i = 0; i < args.length; i++) {
                args[i] = newOrNull(c.getParameterTypes()[i]);
            }
            try {
                c.setAccessible(true);
                return (RunbookDefinition) c.newInstance(args);
            } catch (ReflectiveOperationException | RuntimeException ex) {
                last = ex;
            }
        }
        throw new IllegalStateException("cannot build " + className, last);
    }

    private static Object newOrNull(Class<?> type) {
        try {
            return type.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | RuntimeException ex) {
            return null;
        }
    }
}
