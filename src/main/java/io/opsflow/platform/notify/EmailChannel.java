package io.opsflow.platform.notify;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;

import jakarta.mail.internet.MimeMessage;

import org.springframework.mail.javamail.JavaMailSenderImpl;
import org.springframework.mail.javamail.MimeMessageHelper;

import io.opsflow.step.exec.SecretRef;

/**
 * E-mail over SMTP (Spring's {@link JavaMailSenderImpl}, built per send so the password reference is resolved only
 * then and never kept). Recipients: the people of the run ({@code people}: the approver group's members for approval
 * requests and reminders, the initiator otherwise) plus {@code opsflow.notifications.email.to}.
 */
final class EmailChannel implements NotificationChannel {
    private final NotificationsProperties.Email cfg;
    private final long timeoutMillis;
    private final Function<Notification, Collection<String>> people;

    EmailChannel(NotificationsProperties.Email cfg, java.time.Duration timeout,
                 Function<Notification, Collection<String>> people) {
        this.cfg = cfg;
        this.timeoutMillis = timeout.toMillis();
        this.people = people;
        if (cfg.getPasswordRef() != null && !cfg.getPasswordRef().isBlank()) {
            SecretRef.parse(cfg.getPasswordRef()); // a malformed reference stops the start, not the first send
        }
    }

    @Override
    public String name() {
        return "email";
    }

    @Override
    public boolean configured() {
        return cfg.getHost() != null && !cfg.getHost().isBlank();
    }

    @Override
    public boolean send(Notification n) throws Exception {
        Set<String> to = new LinkedHashSet<>(people.apply(n));
        to.addAll(cfg.getTo());
        to.removeIf(a -> a == null || a.isBlank());
        if (to.isEmpty()) {
            return false;
        }
        JavaMailSenderImpl sender = new JavaMailSenderImpl();
        sender.setHost(cfg.getHost());
        sender.setPort(cfg.getPort());
        sender.setDefaultEncoding("UTF-8");
        Properties p = sender.getJavaMailProperties();
        p.put("mail.smtp.connectiontimeout", String.valueOf(timeoutMillis));
        p.put("mail.smtp.timeout", String.valueOf(timeoutMillis));
        p.put("mail.smtp.writetimeout", String.valueOf(timeoutMillis));
        if (cfg.isStarttls()) {
            p.put("mail.smtp.starttls.enable", "true");
            p.put("mail.smtp.starttls.required", "true");
        }
        if (cfg.getUsername() != null && !cfg.getUsername().isBlank()) {
            p.put("mail.smtp.auth", "true");
            sender.setUsername(cfg.getUsername());
            sender.setPassword(password());
        }
        MimeMessage m = sender.createMimeMessage();
        MimeMessageHelper h = new MimeMessageHelper(m, false, "UTF-8");
        h.setFrom(cfg.getFrom());
        h.setTo(to.toArray(String[]::new));
        h.setSubject(n.subject());
        h.setText(n.text(), false);
        m.setHeader("X-Opsflow-Event", n.event().tag());
        m.setHeader("X-Opsflow-Run", n.runId());
        sender.send(m);
        return true;
    }

    private String password() {
        String ref = cfg.getPasswordRef();
        return ref == null || ref.isBlank() ? null : SecretRef.parse(ref).resolve();
    }

    @Override
    public String redact(String message) {
        return Redaction.mask(message, this::password);
    }
}
