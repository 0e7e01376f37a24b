package io.opsflow.sandbox;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.impl.identity.Authentication;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.HttpStatus;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.RouterFunctions;
import org.springframework.web.servlet.function.ServerResponse;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;

/**
 * The sandbox's mail server: GreenMail speaking SMTP on {@code 127.0.0.1:<opsflow.sandbox.mail.port>} (default
 * 3025), where sandbox mode's notifications go. It accepts mail for any address and keeps it in memory (until the
 * application stops); {@code GET /api/sandbox/mail} (administrators) lists what it caught, newest last.
 */
public class SandboxMail implements SmartLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxMail.class);
    public static final String ADMINS = "camunda-admin";

    private final int port;
    private GreenMail server;

    public SandboxMail(int port) {
        this.port = port;
    }

    @Override
    public synchronized void start() {
        GreenMail mail = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        try {
            mail.start();
        } catch (RuntimeException e) {
            // the sandbox runs without its mail server rather than not at all; notifications then fail and are counted
            LOG.warn("sandbox mail: no SMTP server on 127.0.0.1:{} ({}); set opsflow.sandbox.mail.port to a free port",
                    port, e.toString());
            mail.stop();
            return;
        }
        server = mail;
        LOG.info("sandbox mail: SMTP on 127.0.0.1:{} catches every notification; read them at GET /api/sandbox/mail"
                + " (admin)", port);
    }

    @Override
    public synchronized void stop() {
        if (server != null) {
            server.stop();
            server = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return server != null;
    }

    /** Before the engine's job executor (default phase): mail can be caught as soon as runs run. */
    @Override
    public int getPhase() {
        return Integer.MIN_VALUE + 100;
    }

    public int port() {
        return port;
    }

    /**
     * What the server caught, oldest first, once per message (not per recipient): from, to, subject, the event and
     * run headers, the text.
     */
    public synchronized List<Map<String, Object>> messages() throws MessagingException, IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        if (server == null) {
            return out;
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (MimeMessage m : server.getReceivedMessages()) {
            // GreenMail keeps a copy in each recipient's mailbox: one entry per message
            if (m.getMessageID() != null && !seen.add(m.getMessageID())) {
                continue;
            }
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("receivedAt", m.getReceivedDate() == null ? null : m.getReceivedDate().toInstant().toString());
            o.put("from", addresses(m.getFrom()));
            o.put("to", addresses(m.getRecipients(Message.RecipientType.TO)));
            o.put("subject", m.getSubject());
            o.put("event", header(m, "X-Opsflow-Event"));
            o.put("run", header(m, "X-Opsflow-Run"));
            Object content = m.getContent();
            o.put("text", content instanceof String s ? s : String.valueOf(content));
            out.add(o);
        }
        return out;
    }

    private static String header(MimeMessage m, String name) throws MessagingException {
        String[] v = m.getHeader(name);
        return v == null || v.length == 0 ? null : v[0];
    }

    private static List<String> addresses(Address[] a) {
        return a == null ? List.of() : Arrays.stream(a).map(Address::toString).toList();
    }

    /** {@code GET /api/sandbox/mail}: administrators only (401 without a login, 403 for anyone else). */
    static RouterFunction<ServerResponse> routes(SandboxMail mail, java.util.function.Supplier<IdentityService> identity) {
        return RouterFunctions.route().GET("/api/sandbox/mail", request -> {
            Authentication user = identity.get().getCurrentAuthentication();
            if (user == null) {
                return ServerResponse.status(HttpStatus.UNAUTHORIZED).build();
            }
            if (user.getGroupIds() == null || !user.getGroupIds().contains(ADMINS)) {
                return ServerResponse.status(HttpStatus.FORBIDDEN)
                        .body(Map.of("type", "Forbidden", "message", "caught mail is for administrators"));
            }
            return ServerResponse.ok().body(mail.messages());
        }).build();
    }
}
