package io.opsflow.step.terraform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;

import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.exec.StepLogs;

/** The Terraform beans in a small Spring context: delegate bean names and opsflow.terraform.* binding. */
class TerraformWiringIT {

    @Configuration
    @EnableConfigurationProperties(TerraformProperties.class)
    @Import({CommandRunner.class, StepLogs.class, TerraformStep.class, TerraformExecutionContext.class,
            TerraformInitDelegate.class, TerraformPlanDelegate.class, TerraformDestroyPlanDelegate.class,
            TerraformApplyDelegate.class, TerraformOutputDelegate.class})
    static class Config {
    }

    private final ApplicationContextRunner context = new ApplicationContextRunner().withUserConfiguration(Config.class);

    @Test
    void delegatesAreRegisteredUnderTheirDocumentedNamesWithDefaults() {
        context.run(ctx -> {
            for (String name : new String[] {"terraformInit", "terraformPlan", "terraformDestroyPlan",
                    "terraformApply", "terraformOutput"}) {
                assertThat(ctx.getBean(name)).isInstanceOf(JavaDelegate.class);
            }
            TerraformProperties p = ctx.getBean(TerraformProperties.class);
            assertThat(p.binaryCandidates()).containsExactly("terraform", "tofu");
            assertThat(p.getWorkDir()).isNull();
            assertThat(p.getDir()).isEqualTo(Path.of("terraform"));
            assertThat(ctx.getBean(TerraformStep.class).runDir("pi-1"))
                    .isEqualTo(Path.of("var/terraform/pi-1").toAbsolutePath());
            assertThat(p.getApplyTimeout()).isEqualTo(Duration.ofMinutes(60));
            assertThat(p.getLockTimeout()).isEqualTo(Duration.ofSeconds(60));
        });
    }

    @Test
    void workDirFollowsOpsflowVarDir() {
        context.withPropertyValues("opsflow.var-dir=/data/opsflow").run(ctx -> assertThat(
                ctx.getBean(TerraformStep.class).runDir("pi-1")).isEqualTo(Path.of("/data/opsflow/terraform/pi-1")));
    }

    @Test
    void propertiesBind() {
        context.withPropertyValues("opsflow.terraform.binary=tofu", "opsflow.terraform.work-dir=/srv/opsflow/tf",
                "opsflow.terraform.apply-timeout=2h", "opsflow.terraform.lock-timeout=5m",
                "opsflow.terraform.env.TF_PLUGIN_CACHE_DIR=/var/cache/tf",
                "opsflow.terraform.secret-env.HCLOUD_TOKEN=env:OPSFLOW_HCLOUD_TOKEN").run(ctx -> {
                    TerraformProperties p = ctx.getBean(TerraformProperties.class);
                    assertThat(p.binaryCandidates()).containsExactly("tofu");
                    assertThat(p.getWorkDir()).isEqualTo(Path.of("/srv/opsflow/tf"));
                    assertThat(p.getApplyTimeout()).isEqualTo(Duration.ofHours(2));
                    assertThat(p.getLockTimeout()).isEqualTo(Duration.ofMinutes(5));
                    assertThat(p.getEnv()).containsEntry("TF_PLUGIN_CACHE_DIR", "/var/cache/tf");
                    assertThat(p.getSecretEnv()).containsEntry("HCLOUD_TOKEN", "env:OPSFLOW_HCLOUD_TOKEN");
                    assertThat(ctx.getBean(TerraformStep.class).runDir("pi-1"))
                            .isEqualTo(Path.of("/srv/opsflow/tf/pi-1"));
                });
    }
}
