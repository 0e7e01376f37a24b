package io.opsflow.platform.api;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.camunda.bpm.engine.RuntimeService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import io.opsflow.step.exec.StepLogs;

/**
 * Live step logs as server-sent events. Each stream polls the step log store (the database: it works whichever node
 * writes the log) every {@code opsflow.step-logs.stream-poll} and sends what is new; it ends with an {@code end} event
 * once the writer closed the log and all of it was sent, or once the run is over (a writer that died never closes its
 * log). A stream lasts at most {@code opsflow.step-logs.stream-timeout}; the browser's EventSource then reconnects
 * with the last event id (the offset) and continues. At most {@code opsflow.step-logs.max-streams} at once per node.
 */
@Component
public class StepLogStreams implements DisposableBean {
    private static final Logger LOG = LoggerFactory.getLogger(StepLogStreams.class);
    private static final int PAGE = 256 * 1024;
    /** A comment line this often keeps proxies from closing an idle stream and finds clients that went away. */
    private static final long KEEPALIVE_POLLS = 15;

    private final StepLogs logs;
    private final RuntimeService runtime;
    private final Duration poll;
    private final Duration timeout;
    private final int maxStreams;
    private final AtomicInteger streams = new AtomicInteger();
    private final ScheduledExecutorService pollers;

    public StepLogStreams(StepLogs logs, RuntimeService runtime,
                          @Value("${opsflow.step-logs.stream-poll:PT1S}") Duration poll,
                          @Value("${opsflow.step-logs.stream-timeout:PT30M}") Duration timeout,
                          @Value("${opsflow.step-logs.max-streams:100}") int maxStreams) {
        this.logs = logs;
        this.runtime = runtime;
        this.poll = poll;
        this.timeout = timeout;
        this.maxStreams = maxStreams;
        this.pollers = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "opsflow-step-log-stream");
            t.setDaemon(true);
            return t;
        });
    }

    /** Too many streams open on this node (503). */
    public static class TooManyStreamsException extends RuntimeException {
        public TooManyStreamsException(int max) {
            super("too many step log streams open on this server (" + max + "); try again later");
        }
    }

    /** Starts following a log the caller was authorized to read. */
    public SseEmitter follow(String processInstanceId, String activityInstanceId, long offset) {
        if (streams.incrementAndGet() > maxStreams) {
            streams.decrementAndGet();
            throw new TooManyStreamsException(maxStreams);
        }
        SseEmitter emitter = new SseEmitter(timeout.toMillis());
        Follower f = new Follower(emitter, processInstanceId, activityInstanceId, offset);
        emitter.onCompletion(f::stop);
        emitter.onTimeout(f::stop);
        emitter.onError(e -> f.stop());
        f.task = pollers.scheduleWithFixedDelay(f::poll, 0, poll.toMillis(), TimeUnit.MILLISECONDS);
        f.cancelIfStopped();
        return emitter;
    }

    private final class Follower {
        final SseEmitter emitter;
        final String pi;
        final String aiid;
        long offset;
        long polls;
        volatile ScheduledFuture<?> task;
        private boolean stopped;

        Follower(SseEmitter emitter, String pi, String aiid, long offset) {
            this.emitter = emitter;
            this.pi = pi;
            this.aiid = aiid;
            this.offset = offset;
        }

        synchronized void poll() {
            if (stopped) {
                return;
            }
            polls++;
            try {
                while (true) {
                    Optional<StepLogs.Text> t = logs.read(pi, aiid, offset, PAGE);
                    if (t.isEmpty()) {
                        end(); // removed (retention) while followed
                        return;
                    }
                    StepLogs.Text text = t.get();
                    boolean progress = text.nextOffset() > offset;
                    if (progress) {
                        Map<String, Object> data = new LinkedHashMap<>();
                        data.put("text", text.text());
                        data.put("next", text.nextOffset());
                        emitter.send(SseEmitter.event().id(Long.toString(text.nextOffset())).name("log")
                                .data(data, MediaType.APPLICATION_JSON));
                        offset = text.nextOffset();
                    }
                    if (text.ended()) {
                        end();
                        return;
                    }
                    if (!progress) {
                        break;
                    }
                }
                if (polls % KEEPALIVE_POLLS == 0) {
                    // nothing new: a run that is over will not add to a log nobody closed (its node died)
                    if (runtime.createProcessInstanceQuery().processInstanceId(pi).count() == 0) {
                        end();
                        return;
                    }
                    emitter.send(SseEmitter.event().comment("waiting"));
                }
            } catch (IOException | IllegalStateException e) {
                LOG.debug("step log stream of {} / {} closed by the client: {}", pi, aiid, e.toString());
                stop();
                emitter.completeWithError(e);
            } catch (RuntimeException e) {
                LOG.warn("step log stream of {} / {} failed: {}", pi, aiid, e.toString());
                stop();
                emitter.completeWithError(e);
            }
        }

        private void end() throws IOException {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("next", offset);
            emitter.send(SseEmitter.event().id(Long.toString(offset)).name("end").data(data,
                    MediaType.APPLICATION_JSON));
            stop();
            emitter.complete();
        }

        synchronized void cancelIfStopped() {
            if (stopped) {
                task.cancel(false);
            }
        }

        synchronized void stop() {
            if (stopped) {
                return;
            }
            stopped = true;
            streams.decrementAndGet();
            ScheduledFuture<?> t = task;
            if (t != null) {
                t.cancel(false);
            }
        }
    }

    @Override
    public void destroy() {
        pollers.shutdownNow();
    }
}
