package io.opsflow.database;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The offsite store chosen by {@code opsflow.backup.offsite.kind} (today: directory). */
@Configuration
class OffsiteStoreConfiguration {

    @Bean
    public OffsiteStore offsiteStore(BackupProperties props, @Value("${opsflow.var-dir:var}") String varDir) {
        if (!"directory".equals(props.getOffsite().getKind())) {
            throw new IllegalStateException("opsflow.backup.offsite.kind '" + props.getOffsite().getKind()
                    + "' is not supported (supported: directory)");
        }
        return new DirectoryOffsiteStore(props.getOffsite().directoryPath(varDir));
    }
}
