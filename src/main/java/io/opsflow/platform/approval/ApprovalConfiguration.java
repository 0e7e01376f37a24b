package io.opsflow.platform.approval;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;

/** The approval records live in the engine's database, written in the engine's (Spring-managed) transaction. */
@Configuration
public class ApprovalConfiguration {

    @Bean
    public ApprovalRecords approvalRecords(JdbcTemplate jdbc, ObjectProvider<PlatformTransactionManager> tx) {
        return new ApprovalRecords(jdbc, tx.getIfAvailable());
    }
}
