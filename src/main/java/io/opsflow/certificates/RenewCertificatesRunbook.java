package io.opsflow.certificates;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.stereotype.Component;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.platform.runbook.InputSpec;
import io.opsflow.platform.locks.LockNames;
import io.opsflow.platform.runbook.Runbook;
import io.opsflow.platform.tools.Tool;

/**
 * Inputs of renew-certificates: the environment whose TLS edge to check, optionally the domains its certificate must
 * cover (comma-separated DNS names under the environment's zone; a name the served certificate lacks is issued), and
 * {@code force} (re-issue even when the served certificate is valid). A routine check or renewal needs no approval;
 * a forced re-issue needs one where the environment requires approvals (production), and a reason.
 */
@Component
public class RenewCertificatesRunbook extends Runbook {
    public static final String PROCESS_KEY = "renew-certificates";
    static final String LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
    static final String DOMAIN = LABEL + "(?:\\." + LABEL + ")+";
    static final int MAX_DOMAINS = 20;

    private final CertificatesProperties props;

    public RenewCertificatesRunbook(CertificatesProperties props) {
        super(PROCESS_KEY);
        this.props = props;
    }


    /** Acts only inside the environment's maintenance windows: the gate after the approval (runAt input). */
    @Override
    public boolean waitsForMaintenanceWindow() {
        return true;
    }

    @Override
    public List<InputSpec> inputs() {
        return List.of(
                InputSpec.environment("environment"),
                InputSpec.pattern("domains", "\\s*" + DOMAIN + "(?:\\s*,\\s*" + DOMAIN + ")*\\s*",
                        "DNS names in lower case separated by commas, e.g. www.example.org, api.example.org")
                        .maxLength(1000).optional(),
                InputSpec.bool("force").defaultValue(false),
                InputSpec.text("reason").maxLength(500).optional());
    }

    /** The edge is on this host: certbot obtains, nginx serves. */
    @Override
    public List<Tool> tools() {
        return List.of(Tool.CERTBOT, Tool.NGINX);
    }

    /** What the approver of a forced re-issue signs besides the inputs. */
    @Override
    public List<String> evidence() {
        return List.of("endpoint", "wantedDomains", "servedSerial", "servedNotAfter", "certificatePlan");
    }

    /** Only a forced re-issue where the environment requires approvals (production). */
    @Override
    public boolean requiresApproval(Map<String, Object> vars, Environment environment) {
        return Boolean.TRUE.equals(vars.get("force")) && environment != null && environment.requiresApproval();
    }

    /** One certificate run per environment edge at a time (a scheduled check and a manual run alike). */
    @Override
    public Optional<String> lockName(Map<String, Object> vars) {
        return Optional.of(lockName((String) vars.get("environment")));
    }

    public static String lockName(String environment) {
        return LockNames.certificates(environment);
    }

    @Override
    public void validate(Map<String, Object> vars, Environments environments, List<String> errors) {
        String env = (String) vars.get("environment");
        CertificatesProperties.Edge edge = props.getEnvironments().get(env);
        if (edge == null) {
            errors.add("environment: " + env + " has no TLS edge (configured: " + props.getEnvironments().keySet()
                    + ")");
            return;
        }
        List<String> domains = CertificatesVariables.parseDomains((String) vars.get("domains"));
        if (domains.size() > MAX_DOMAINS) {
            errors.add("domains: at most " + MAX_DOMAINS + " names per certificate (got " + domains.size() + ")");
        }
        for (String d : domains) {
            if (d.length() > 253) {
                errors.add("domains: '" + d.substring(0, 40) + "…' is longer than 253 characters");
            } else if (!d.equals(edge.getZone()) && !d.endsWith("." + edge.getZone())) {
                errors.add("domains: '" + d + "' is not in " + env + "'s zone " + edge.getZone());
            }
        }
        boolean force = Boolean.TRUE.equals(vars.get("force"));
        String reason = (String) vars.get("reason");
        if (force && environments.get(env).requiresApproval() && (reason == null || reason.isBlank())) {
            errors.add("reason: is required for a forced re-issue in an environment that requires approval");
        }
    }
}
