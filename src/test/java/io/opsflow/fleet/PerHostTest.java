package io.opsflow.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.opsflow.step.exec.StepCancellation;

class PerHostTest {
    static final List<String> HOSTS = List.of("h1", "h2", "h3", "h4");

    @Test
    void theHostsRunAtOnceAndTheResultsComeBackInTheirOrder() {
        CyclicBarrier allAtOnce = new CyclicBarrier(4); // one at a time, the first would wait in vain
        List<String> out = PerHost.map(HOSTS, 4, h -> {
            allAtOnce.await(10, TimeUnit.SECONDS);
            return h.toUpperCase();
        });
        assertThat(out).containsExactly("H1", "H2", "H3", "H4");
    }

    @Test
    void neverMoreAtOnceThanTheParallelism() {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        PerHost.forEach(List.of("a", "b", "c", "d", "e", "f", "g", "h"), 3, h -> {
            peak.accumulateAndGet(running.incrementAndGet(), Math::max);
            Thread.sleep(50);
            running.decrementAndGet();
        });
        assertThat(peak.get()).isBetween(1, 3);
    }

    @Test
    void aFailureIsRaisedOnlyAfterEveryStartedHostFinishedTheFirstInHostOrderWithTheOthersAttached() {
        Set<String> finished = ConcurrentHashMap.newKeySet();
        CountDownLatch h4Failed = new CountDownLatch(1);
        assertThatThrownBy(() -> PerHost.forEach(HOSTS, 4, h -> {
            switch (h) {
                case "h2" -> {
                    h4Failed.await(10, TimeUnit.SECONDS); // fails after h4, but is first in host order
                    throw new IllegalStateException("h2: exit 1");
                }
                case "h4" -> {
                    h4Failed.countDown();
                    throw new IllegalArgumentException("h4: unreachable");
                }
                default -> {
                    Thread.sleep(300); // slower than both failures
                    finished.add(h);
                }
            }
        })).isInstanceOf(IllegalStateException.class).hasMessage("h2: exit 1")
                .satisfies(e -> assertThat(e.getSuppressed()).extracting(Throwable::getMessage)
                        .containsExactly("h4: unreachable"));
        assertThat(finished).containsExactlyInAnyOrder("h1", "h3");
    }

    @Test
    void theHostsThreadsObserveTheStepsCancellation() {
        StepCancellation step = new StepCancellation();
        Set<StepCancellation> seen = ConcurrentHashMap.newKeySet();
        try (StepCancellation.Scope bound = StepCancellation.bind(step)) {
            PerHost.forEach(HOSTS, 4, h -> seen.add(StepCancellation.current()));
        }
        assertThat(seen).containsExactly(step);
    }

    @Test
    void oneAtATimeRunsOnTheCallingThreadInOrderAndStopsAtTheFirstFailure() {
        List<String> done = Collections.synchronizedList(new ArrayList<>());
        Thread caller = Thread.currentThread();
        assertThatThrownBy(() -> PerHost.forEach(HOSTS, 1, h -> {
            assertThat(Thread.currentThread()).isSameAs(caller);
            if (h.equals("h3")) {
                throw new IllegalStateException("h3 failed");
            }
            done.add(h);
        })).hasMessage("h3 failed");
        assertThat(done).containsExactly("h1", "h2");
    }

    @Test
    void checkedExceptionsAreWrappedWithTheirMessageAndNoParallelismIsRefused() {
        assertThatThrownBy(() -> PerHost.forEach(HOSTS, 2, h -> {
            throw new java.io.IOException(h + ": connection reset");
        })).isInstanceOf(IllegalStateException.class).hasMessage("h1: connection reset");
        assertThatThrownBy(() -> PerHost.forEach(HOSTS, 0, h -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("parallelism must be at least 1");
        assertThat(PerHost.map(List.<String>of(), 4, h -> h)).isEmpty();
    }
}
