package io.opsflow.step.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** A value built on first use, once; a builder that fails or gives nothing leaves it unbuilt, to be tried again. */
class LazyTest {

    @Test
    void buildsOnFirstUseOnceForThreadsAskingAtTheSameMoment() throws Exception {
        AtomicInteger builds = new AtomicInteger();
        Lazy<Object> lazy = new Lazy<>(() -> {
            builds.incrementAndGet();
            return new Object();
        });
        assertThat(lazy.built()).isFalse();
        assertThat(builds).hasValue(0);

        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Object>> got = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                got.add(pool.submit(() -> {
                    go.await();
                    return lazy.get();
                }));
            }
            go.countDown();
            for (Future<Object> f : got) {
                assertThat(f.get()).isSameAs(got.get(0).get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(builds).hasValue(1);
        assertThat(lazy.built()).isTrue();
    }

    @Test
    void aBuilderThatFailsOrGivesNothingLeavesItUnbuiltAndIsTriedAgain() {
        AtomicInteger calls = new AtomicInteger();
        Lazy<String> lazy = new Lazy<>(() -> switch (calls.incrementAndGet()) {
            case 1 -> throw new IllegalStateException("not yet");
            case 2 -> null;
            default -> "built";
        });

        assertThatThrownBy(lazy::get).isInstanceOf(IllegalStateException.class).hasMessage("not yet");
        assertThat(lazy.built()).isFalse();
        assertThatThrownBy(lazy::get).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("the builder returned null");
        assertThat(lazy.built()).isFalse();
        assertThat(lazy.get()).isEqualTo("built");
        assertThat(calls).hasValue(3);
        assertThatThrownBy(() -> new Lazy<>(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("build");
    }
}
