package io.opsflow.platform.housekeeping;

import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;

/** Turns on Spring's scheduler for opsflow's housekeeping (the step-log sweep). */
@Configuration
@EnableScheduling
class HousekeepingConfiguration {
}
