package io.opsflow.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.opsflow.sandbox.artifacts.ArtifactStore;

class VersionOrderTest {

    @Test
    void newestFirstInSemanticVersionOrder() {
        List<String> v = new ArrayList<>(List.of("1.0.0", "1.10.0", "1.2.0", "2.0.0-rc.1", "2.0.0", "2.0.0-rc.2",
                "2.0.0-beta", "1.2", "0.9.9+build.7", "10.0.0", "2.0.0-rc.10"));
        Collections.shuffle(v);
        v.sort(VersionOrder.NEWEST_FIRST);
        assertThat(v).containsExactly("10.0.0", "2.0.0", "2.0.0-rc.10", "2.0.0-rc.2", "2.0.0-rc.1", "2.0.0-beta",
                "1.10.0", "1.2.0", "1.2", "1.0.0", "0.9.9+build.7");
    }

    /** The sandbox's release order (versions.txt) is what the forms offer, newest first. */
    @Test
    void theSandboxReleaseOrderIsTheSemanticOrder() {
        for (Map.Entry<String, List<String>> app : ArtifactStore.applications().entrySet()) {
            List<String> newestFirst = new ArrayList<>(app.getValue());
            Collections.reverse(newestFirst);
            assertThat(app.getValue().stream().sorted(VersionOrder.NEWEST_FIRST).toList()).as(app.getKey())
                    .containsExactlyElementsOf(newestFirst);
        }
    }
}
