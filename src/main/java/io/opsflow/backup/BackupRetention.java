package io.opsflow.backup;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import io.opsflow.database.BackupCatalog;
import io.opsflow.database.BackupEntry;
import io.opsflow.database.OffsiteStore;

/**
 * Applies the retention policy to one target: deletes each expired backup's offsite copy and catalog row together
 * (one transaction per backup: the row is deleted, then the file, then the transaction commits; when the file cannot
 * be deleted, the row stays), then deletes orphans (objects under the target's prefix without a catalog row, older
 * than the grace period: leftovers of runs that died between copying and recording).
 */
@Component("backupRetentionStep")
public class BackupRetention {
    private static final Logger LOG = LoggerFactory.getLogger(BackupRetention.class);

    private final BackupCatalog catalog;
    private final OffsiteStore store;
    private final TransactionTemplate tx;

    @org.springframework.beans.factory.annotation.Autowired
    public BackupRetention(BackupCatalog catalog, OffsiteStore store,
                           ObjectProvider<PlatformTransactionManager> transactionManager) {
        this(catalog, store, transactionManager.getIfAvailable());
    }

    public BackupRetention(BackupCatalog catalog, OffsiteStore store, PlatformTransactionManager transactionManager) {
        this.catalog = catalog;
        this.store = store;
        if (transactionManager != null) {
            this.tx = new TransactionTemplate(transactionManager);
            this.tx.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        } else {
            this.tx = null;
        }
    }

    public record Result(List<String> kept, List<String> deleted, List<String> orphansDeleted) {
    }

    public Result apply(String environment, String target, RetentionPolicy policy, Instant now,
                        java.time.Duration orphanGrace) {
        List<BackupEntry> all = catalog.list(environment, target);
        List<BackupEntry> expired = policy.expired(all, now);
        List<String> deleted = new ArrayList<>();
        for (BackupEntry b : expired) {
            inTransaction(() -> {
                catalog.delete(b.id());
                store.delete(b.objectKey());
                return null;
            });
            LOG.info("retention: deleted backup {} ({}) of {}/{}", b.id(), b.location(), environment, target);
            deleted.add(b.id());
        }
        List<String> kept = all.stream().map(BackupEntry::id).filter(id -> !deleted.contains(id)).toList();

        List<String> orphans = new ArrayList<>();
        Instant cutoff = now.minus(orphanGrace);
        for (OffsiteStore.StoredObject o : store.list(environment + "/" + target + "/")) {
            if (o.lastModified().isBefore(cutoff) && !catalog.existsObjectKey(o.key())) {
                store.delete(o.key());
                LOG.info("retention: deleted orphan offsite object {} (no catalog row)", store.location(o.key()));
                orphans.add(o.key());
            }
        }
        return new Result(kept, List.copyOf(deleted), List.copyOf(orphans));
    }

    private <T> T inTransaction(Supplier<T> work) {
        if (tx == null) {
            return work.get();
        }
        return tx.execute(status -> work.get());
    }
}
