package io.opsflow;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class OpsflowApplication {
    public static void main(String[] args) {
        SpringApplication.run(OpsflowApplication.class, args);
    }
}
