package io.opsflow.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.opsflow.environments.Environments;
import io.opsflow.environments.UnknownEnvironmentException;
import io.opsflow.fleet.ArtifactCatalog;
import io.opsflow.fleet.Fleet;
import io.opsflow.testsupport.TestEngines;

/** The answers of the start forms' API when the store cannot be read, without a fleet: 503, no server path. */
class StartChoicesControllerTest {
    final Environments envs = TestEngines.defaultEnvironments();

    /** A catalog whose store cannot be read, as a host reports it (with a path on the host). */
    final ArtifactCatalog unreadable = new ArtifactCatalog(new Fleet(envs, null, null, null, null, null)) {
        @Override
        public Map<String, List<String>> applications(String environment) {
            throw new IllegalStateException("cannot list the artifact store of " + environment + ": web-1: "
                    + "artifact-list.sh failed (exit 1): artifact store directory /srv/opsflow/artifacts does not exist");
        }
    };
    final StartChoicesController controller = new StartChoicesController(envs, unreadable, null);

    @Test
    void anUnreadableStoreIs503SayingWhyWithoutTheServerPath() {
        var all = controller.applications("staging");
        assertThat(all.getStatusCode().value()).isEqualTo(503);
        assertThat(all.getBody()).containsEntry("type", "ArtifactStoreUnavailable");
        assertThat((String) all.getBody().get("message")).contains("cannot list the artifact store of staging",
                "does not exist").doesNotContain("/srv/opsflow");
        assertThat(controller.versions("staging", "webapp").getStatusCode().value()).isEqualTo(503);
    }

    @Test
    void anUnknownEnvironmentAndANameWithPathTricksAreRefusedBeforeTheStoreIsRead() {
        assertThatThrownBy(() -> controller.applications("nowhere")).isInstanceOf(UnknownEnvironmentException.class);
        for (String app : List.of("../x", "x/..", "-rf", "a b", "Webapp", "x;id", "")) {
            assertThatThrownBy(() -> controller.versions("staging", app)).as(app)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("application: must be a name");
        }
    }
}
