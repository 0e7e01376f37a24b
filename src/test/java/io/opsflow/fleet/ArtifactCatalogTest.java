package io.opsflow.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.opsflow.environments.Environments;
import io.opsflow.environments.EnvironmentsProperties;

/** The start check against the artifact store, the listing stubbed (the real one: StartChoicesIT, WorkersIT). */
class ArtifactCatalogTest {
    final AtomicInteger listed = new AtomicInteger();
    final Environments envs = environments();
    final ArtifactCatalog catalog = new ArtifactCatalog(new Fleet(envs, null, null, null, null, null)) {
        @Override
        public Map<String, List<String>> applications(String environment) {
            listed.incrementAndGet();
            if (environment.equals("broken")) {
                throw new IllegalStateException("cannot list the artifact store of broken: web-1: connection refused");
            }
            return Map.of("webapp", List.of("2.0.0-broken", "1.2.0"));
        }
    };

    @Test
    void aVersionTheStoreDoesNotHoldIsRefusedNamingWhatItHolds() {
        assertThat(check("staging", "webapp", "1.2.0")).isEmpty();
        assertThat(check("staging", "webapp", "9.9.9")).containsExactly("version: webapp 9.9.9 is not in the "
                + "artifact store of staging; it holds 2.0.0-broken, 1.2.0");
        assertThat(check("staging", "api", "1.0.0")).containsExactly("version: api 1.0.0 is not in the artifact "
                + "store of staging (it holds no version of api)");
        assertThat(check("broken", "webapp", "1.2.0")).singleElement().asString().startsWith("version: cannot check "
                + "that webapp 1.2.0 is in the artifact store of broken: ").contains("connection refused");
    }

    @Test
    void anEnvironmentWithoutStoreOrHostsIsNotCheckedAndOtherErrorsComeFirst() {
        assertThat(check("bare", "webapp", "9.9.9")).isEmpty();
        List<String> errors = new ArrayList<>(List.of("reason: is required"));
        ArtifactCatalog.requireInStore(catalog, Map.of("environment", "staging", "application", "webapp", "version",
                "9.9.9"), errors);
        assertThat(errors).containsExactly("reason: is required");
        ArtifactCatalog.requireInStore(null, Map.of("environment", "staging", "application", "webapp", "version",
                "9.9.9"), errors);
        assertThat(listed).as("the store is read only for an otherwise valid start").hasValue(0);
    }

    private List<String> check(String env, String app, String version) {
        List<String> errors = new ArrayList<>();
        ArtifactCatalog.requireInStore(catalog, Map.of("environment", env, "application", app, "version", version),
                errors);
        return errors;
    }

    private static Environments environments() {
        EnvironmentsProperties p = new EnvironmentsProperties();
        for (String name : List.of("staging", "broken", "bare")) {
            EnvironmentsProperties.EnvironmentSpec e = new EnvironmentsProperties.EnvironmentSpec();
            if (!name.equals("bare")) {
                e.setArtifactStore("/srv/artifacts");
                EnvironmentsProperties.HostSpec h = new EnvironmentsProperties.HostSpec();
                h.setName("web-1");
                h.setAddress("127.0.0.1");
                e.getHosts().add(h);
            }
            p.getEnvironments().put(name, e);
        }
        return new Environments(p);
    }
}
