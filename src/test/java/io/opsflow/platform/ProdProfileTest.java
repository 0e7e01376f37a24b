package io.opsflow.platform;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;

import io.opsflow.OpsflowApplication;

/** The prod profile refuses to start without a real admin password, before anything touches a database. */
class ProdProfileTest {

    /** Starts with the prod profile; settings as command-line arguments, as an operator would pass them. */
    private static Runnable prod(String... args) {
        String[] argv = java.util.Arrays.stream(args).map(a -> "--" + a).toArray(String[]::new);
        return () -> new SpringApplicationBuilder(OpsflowApplication.class).profiles("prod")
                .properties("server.port=0", "spring.main.banner-mode=off").run(argv);
    }

    @Test
    void refusesToStartWithoutAnAdminPassword() {
        assertThatThrownBy(() -> prod("camunda.bpm.admin-user.password=").run())
                .isInstanceOf(IllegalStateException.class).hasMessage("prod profile: the admin password is missing. Set OPSFLOW_ADMIN_PASSWORD"
                        + " (and optionally OPSFLOW_ADMIN_USER) in the environment.");
    }

    @Test
    void refusesToStartWithTheDefaultPassword() {
        assertThatThrownBy(() -> prod("camunda.bpm.admin-user.id=admin", "camunda.bpm.admin-user.password=admin").run())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("default or weak admin password");
        assertThatThrownBy(() -> prod("camunda.bpm.admin-user.id=ops-admin-long",
                "camunda.bpm.admin-user.password=ops-admin-long").run())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("default or weak admin password");
    }

    @Test
    void refusesSandboxUsersOrTheH2ConsoleInProd() {
        assertThatThrownBy(() -> prod("camunda.bpm.admin-user.password=a-long-and-real-secret",
                "opsflow.security.sandbox-users=true").run())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("sandbox-users must be false");
        assertThatThrownBy(() -> prod("camunda.bpm.admin-user.password=a-long-and-real-secret",
                "spring.h2.console.enabled=true").run())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("H2 console");
    }
}
