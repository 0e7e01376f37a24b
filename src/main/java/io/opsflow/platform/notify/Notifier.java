package io.opsflow.platform.notify;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.camunda.bpm.engine.impl.cfg.TransactionState;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.interceptor.CommandContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Delivers notifications without ever touching the run: {@link #publish} only registers the notification to be
 * queued once the engine's transaction has committed (nothing is sent for a transaction that rolls back), and a
 * small scheduler sends it on its own threads, per routed channel, with {@code attempts} tries spaced by a doubling
 * {@code backoff}. Each outcome is logged (secrets masked) and counted: {@code opsflow.notifications.sent} and
 * {@code opsflow.notifications.failed}, tags {@code channel} (email|webhook) and {@code event}.
 */
public class Notifier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);
    public static final String SENT = "opsflow.notifications.sent";
    public static final String FAILED = "opsflow.notifications.failed";

    private final NotificationsProperties props;
    private final MeterRegistry meters;
    private final List<NotificationChannel> channels;
    /** environment (or "default") → channel name → events. */
    private final Map<String, Map<String, Set<NotificationEvent>>> routes;
    private final ScheduledThreadPoolExecutor executor;
    private final AtomicInteger pending = new AtomicInteger();

    public Notifier(NotificationsProperties props, MeterRegistry meters,
                    Function<Notification, Collection<String>> people) {
        this(props, meters, List.of(new EmailChannel(props.getEmail(), props.getTimeout(), people),
                new WebhookChannel(props.getWebhook(), props.getTimeout())));
    }

    Notifier(NotificationsProperties props, MeterRegistry meters, List<NotificationChannel> channels) {
        if (props.getAttempts() < 1 || props.getAttempts() > 10) {
            throw new IllegalArgumentException("opsflow.notifications.attempts: " + props.getAttempts()
                    + " is not within 1..10");
        }
        this.props = props;
        this.meters = meters;
        this.channels = List.copyOf(channels);
        this.routes = routes(props);
        AtomicInteger threads = new AtomicInteger();
        this.executor = new ScheduledThreadPoolExecutor(2, r -> {
            Thread t = new Thread(r, "notify-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        for (NotificationChannel c : channels) {
            for (NotificationEvent e : NotificationEvent.values()) {
                counter(SENT, c.name(), e);
                counter(FAILED, c.name(), e);
            }
        }
    }

    private static Map<String, Map<String, Set<NotificationEvent>>> routes(NotificationsProperties props) {
        Map<String, Map<String, Set<NotificationEvent>>> out = new LinkedHashMap<>();
        props.getRoutes().forEach((env, route) -> {
            Map<String, Set<NotificationEvent>> byChannel = new LinkedHashMap<>();
            byChannel.put("email", events("routes." + env + ".email", route.getEmail()));
            byChannel.put("webhook", events("routes." + env + ".webhook", route.getWebhook()));
            out.put(env, byChannel);
        });
        return out;
    }

    private static Set<NotificationEvent> events(String key, List<String> names) {
        Set<NotificationEvent> s = EnumSet.noneOf(NotificationEvent.class);
        for (String n : names) {
            try {
                s.addAll(NotificationEvent.named(n.strip()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("opsflow.notifications." + key + ": " + e.getMessage(), e);
            }
        }
        return s;
    }

    /** The configured channels {@code n} is routed to in its environment. */
    List<NotificationChannel> channelsFor(Notification n) {
        Map<String, Set<NotificationEvent>> byChannel = n.environment() == null ? null : routes.get(n.environment());
        if (byChannel == null) {
            byChannel = routes.getOrDefault("default", Map.of());
        }
        List<NotificationChannel> out = new ArrayList<>();
        for (NotificationChannel c : channels) {
            if (c.configured() && byChannel.getOrDefault(c.name(), Set.of()).contains(n.event())) {
                out.add(c);
            }
        }
        return out;
    }

    public String publicBaseUrl() {
        String base = props.getPublicBaseUrl();
        return base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    public boolean enabled() {
        return props.isEnabled();
    }

    /**
     * Queues {@code n} for delivery once the current transaction commits (the engine's, else Spring's; at once when
     * there is none). Never throws: a notification must not fail a run.
     */
    public void publish(Notification n) {
        try {
            if (!props.isEnabled()) {
                return;
            }
            List<NotificationChannel> to = channelsFor(n);
            if (to.isEmpty()) {
                LOG.debug("notification {} of run {} is not routed in environment {}", n.event().tag(), n.runId(),
                        n.environment());
                return;
            }
            afterCommit(() -> to.forEach(c -> enqueue(n, c)));
        } catch (RuntimeException e) {
            LOG.warn("notification {} of run {} not queued: {}", n.event().tag(), n.runId(), e.toString());
        }
    }

    private static void afterCommit(Runnable r) {
        CommandContext cc = Context.getCommandContext();
        if (cc != null) {
            cc.getTransactionContext().addTransactionListener(TransactionState.COMMITTED, c -> r.run());
        } else if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    r.run();
                }
            });
        } else {
            r.run();
        }
    }

    private void enqueue(Notification n, NotificationChannel c) {
        if (pending.incrementAndGet() > props.getQueueCapacity()) {
            pending.decrementAndGet();
            failed(n, c, 0, "queue full (" + props.getQueueCapacity() + " waiting)");
            return;
        }
        try {
            executor.execute(() -> attempt(n, c, 1));
        } catch (RejectedExecutionException e) {
            pending.decrementAndGet();
            failed(n, c, 0, "notifier stopped");
        }
    }

    private void attempt(Notification n, NotificationChannel c, int attempt) {
        try {
            boolean sent = c.send(n);
            pending.decrementAndGet();
            if (sent) {
                LOG.info("notification {} of run {} sent by {} (attempt {})", n.event().tag(), n.runId(), c.name(),
                        attempt);
                counter(SENT, c.name(), n.event()).increment();
            } else {
                LOG.info("notification {} of run {}: no {} recipient", n.event().tag(), n.runId(), c.name());
            }
        } catch (Exception e) {
            String why = c.redact(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
            if (attempt < props.getAttempts()) {
                Duration wait = props.getBackoff().multipliedBy(1L << (attempt - 1));
                LOG.warn("notification {} of run {} by {}: attempt {} of {} failed ({}); retrying in {}",
                        n.event().tag(), n.runId(), c.name(), attempt, props.getAttempts(), why, wait);
                try {
                    executor.schedule(() -> attempt(n, c, attempt + 1), wait.toMillis(), TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException stopped) {
                    pending.decrementAndGet();
                    failed(n, c, attempt, why + "; notifier stopped");
                }
            } else {
                pending.decrementAndGet();
                failed(n, c, attempt, why);
            }
        }
    }

    private void failed(Notification n, NotificationChannel c, int attempts, String why) {
        LOG.error("notification {} of run {} NOT delivered by {} after {} attempt(s): {}", n.event().tag(), n.runId(),
                c.name(), attempts, why);
        counter(FAILED, c.name(), n.event()).increment();
    }

    private Counter counter(String name, String channel, NotificationEvent event) {
        return Counter.builder(name).description(SENT.equals(name) ? "notifications delivered"
                        : "notifications given up after every attempt").tag("channel", channel)
                .tag("event", event.tag()).register(meters);
    }

    /** Notifications queued or being retried. */
    public int pending() {
        return pending.get();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
