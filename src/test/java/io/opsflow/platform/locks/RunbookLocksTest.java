package io.opsflow.platform.locks;

import static org.assertj.core.api.Assertions.assertThat;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/** The lock contract on H2, the embedded default. */
class RunbookLocksTest extends RunbookLocksContract {
    private DataSource ds;

    @BeforeEach
    void database() {
        ds = new DriverManagerDataSource("jdbc:h2:mem:locks-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", "sa", "");
        jdbc().execute("CREATE TABLE ACT_RU_EXECUTION (ID_ VARCHAR(64) PRIMARY KEY, PROC_INST_ID_ VARCHAR(64))");
    }

    @Override
    DataSource dataSource() {
        return ds;
    }

    @Test
    void lockNamesSayWhichEnvironmentTheyCoverAndWhatConflicts() {
        assertThat(LockNames.environment("release:staging/webapp")).isEqualTo("staging");
        assertThat(LockNames.environment("platform:production")).isEqualTo("production");
        assertThat(LockNames.environment("not a lock")).isNull();
        assertThat(LockNames.conflict("platform:staging", "backup:staging/appdb")).isTrue();
        assertThat(LockNames.conflict("restore-scratch:staging/appdb", "platform:staging")).isTrue();
        assertThat(LockNames.conflict("platform:staging", "platform:staging-eu")).isFalse();
        assertThat(LockNames.conflict("release:staging/webapp", "backup:staging/appdb")).isFalse();
        assertThat(LockNames.conflict("release:staging/webapp", "release:staging/webapp")).isTrue();
    }
}
