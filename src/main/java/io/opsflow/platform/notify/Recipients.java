package io.opsflow.platform.notify;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.identity.User;

/**
 * The people a notification is for, by their e-mail addresses in the engine's identity service: the members of the
 * approver group for approval requests and reminders, the run's initiator for everything else. Users without an
 * address are skipped. Read when the notification is sent, off the engine's thread.
 */
final class Recipients implements Function<Notification, Collection<String>> {
    private final Supplier<IdentityService> identity;

    Recipients(Supplier<IdentityService> identity) {
        this.identity = identity;
    }

    @Override
    public Collection<String> apply(Notification n) {
        IdentityService ids = identity.get();
        if (ids == null) {
            return List.of();
        }
        List<User> users;
        if (n.event().forApprovers()) {
            users = n.approverGroup() == null ? List.of()
                    : ids.createUserQuery().memberOfGroup(n.approverGroup()).orderByUserId().asc().list();
        } else {
            users = n.initiator() == null ? List.of() : ids.createUserQuery().userId(n.initiator()).list();
        }
        Set<String> out = new LinkedHashSet<>();
        for (User u : users) {
            if (u.getEmail() != null && !u.getEmail().isBlank()) {
                out.add(u.getEmail());
            }
        }
        return out;
    }
}
