package io.opsflow;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class OpsflowApplication {
    public static void main(String[] args) throws InterruptedException {
        if (io.opsflow.sandbox.SandboxFleetApplication.requested(args, System.getenv())) {
            io.opsflow.sandbox.SandboxFleetApplication.main(args); // the sandbox fleet alone, no engine
            return;
        }
        SpringApplication.run(OpsflowApplication.class, args);
    }
}
