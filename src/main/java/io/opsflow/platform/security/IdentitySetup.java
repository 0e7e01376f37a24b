package io.opsflow.platform.security;

import java.util.List;

import org.camunda.bpm.engine.AuthorizationService;
import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.authorization.Authorization;
import org.camunda.bpm.engine.authorization.Groups;
import org.camunda.bpm.engine.authorization.Permission;
import org.camunda.bpm.engine.authorization.Permissions;
import org.camunda.bpm.engine.authorization.Resource;
import org.camunda.bpm.engine.authorization.Resources;
import org.camunda.bpm.engine.identity.Group;
import org.camunda.bpm.engine.identity.User;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Groups and what they may do (authorization is enabled):
 * <ul>
 * <li>{@code operators}: use Cockpit and Tasklist, start every runbook, read every run and its tasks; they cannot
 * work on approval tasks (task work is granted per task to the candidate group only).</li>
 * <li>{@code approvers}: the same, plus approval tasks through their candidate group (TASK_WORK).</li>
 * <li>{@code camunda-admin}: everything (created with the admin user by the Camunda starter).</li>
 * </ul>
 * In sandbox mode only: users {@code operator}, {@code approver}, {@code approver2} (password = user id).
 */
@Component
public class IdentitySetup {
    private static final Logger LOG = LoggerFactory.getLogger(IdentitySetup.class);
    public static final String OPERATORS = "operators";
    public static final String APPROVERS = "approvers";

    private final ProcessEngine engine;
    private final boolean sandboxUsers;

    public IdentitySetup(ProcessEngine engine,
                         @Value("${opsflow.security.sandbox-users:false}") boolean sandboxUsers) {
        this.engine = engine;
        this.sandboxUsers = sandboxUsers;
    }

    @EventListener(ApplicationStartedEvent.class)
    public void setUp() {
        group(OPERATORS, "Operators");
        group(APPROVERS, "Approvers");
        for (String g : List.of(OPERATORS, APPROVERS)) {
            grant(g, Resources.APPLICATION, "cockpit", Permissions.ACCESS);
            grant(g, Resources.APPLICATION, "tasklist", Permissions.ACCESS);
            grant(g, Resources.PROCESS_DEFINITION, "*", Permissions.READ, Permissions.CREATE_INSTANCE,
                    Permissions.READ_INSTANCE, Permissions.READ_HISTORY, Permissions.READ_TASK);
            grant(g, Resources.PROCESS_INSTANCE, "*", Permissions.CREATE, Permissions.READ);
            grant(g, Resources.DEPLOYMENT, "*", Permissions.READ);
            grant(g, Resources.FILTER, "*", Permissions.READ);
        }
        if (sandboxUsers) {
            user("operator", "Olivia", "Operator", OPERATORS);
            user("approver", "Adam", "Approver", APPROVERS, OPERATORS);
            user("approver2", "Ada", "Approver", APPROVERS, OPERATORS);
            LOG.warn("SANDBOX MODE: users admin, operator, approver, approver2 exist with password = user id."
                    + " Never run this mode on a shared network (use the prod profile).");
        }
    }

    private void group(String id, String name) {
        IdentityService ids = engine.getIdentityService();
        if (ids.createGroupQuery().groupId(id).count() == 0) {
            Group g = ids.newGroup(id);
            g.setName(name);
            g.setType(Groups.GROUP_TYPE_WORKFLOW);
            ids.saveGroup(g);
        }
    }

    private void user(String id, String first, String last, String... groups) {
        IdentityService ids = engine.getIdentityService();
        if (ids.createUserQuery().userId(id).count() == 0) {
            User u = ids.newUser(id);
            u.setFirstName(first);
            u.setLastName(last);
            u.setPassword(id);
            u.setEmail(id + "@sandbox.opsflow.local");
            ids.saveUser(u);
        }
        for (String g : groups) {
            if (ids.createUserQuery().userId(id).memberOfGroup(g).count() == 0) {
                ids.createMembership(id, g);
            }
        }
    }

    private void grant(String group, Resource resource, String resourceId, Permission... permissions) {
        AuthorizationService auth = engine.getAuthorizationService();
        Authorization a = auth.createAuthorizationQuery().groupIdIn(group).resourceType(resource)
                .resourceId(resourceId).singleResult();
        if (a == null) {
            a = auth.createNewAuthorization(Authorization.AUTH_TYPE_GRANT);
            a.setGroupId(group);
            a.setResource(resource);
            a.setResourceId(resourceId);
        }
        for (Permission p : permissions) {
            a.addPermission(p);
        }
        auth.saveAuthorization(a);
    }
}
