package io.opsflow.platform.security;

import java.util.ArrayList;
import java.util.List;

import org.camunda.bpm.engine.AuthorizationService;
import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.authorization.Authorization;
import org.camunda.bpm.engine.authorization.Groups;
import org.camunda.bpm.engine.authorization.Permissions;
import org.camunda.bpm.engine.authorization.Resource;
import org.camunda.bpm.engine.authorization.Resources;
import org.camunda.bpm.engine.identity.Group;
import org.camunda.bpm.engine.identity.User;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.digest.PasswordManager;
import org.camunda.bpm.engine.impl.persistence.entity.UserEntity;
import org.camunda.bpm.engine.impl.util.EncryptionUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Profile;
import org.springframework.stereotype.Component;

/**
 * In the {@code prod} profile, makes the identities in the engine's database match the configuration, whatever an
 * earlier start in sandbox mode left behind on the same database:
 * <ol>
 * <li>The configured admin ({@code camunda.bpm.admin-user.id} / {@code .password}, from OPSFLOW_ADMIN_USER /
 * OPSFLOW_ADMIN_PASSWORD) logs in with the configured password: the Camunda starter only creates the admin when it is
 * absent, so an admin left over with another password (the sandbox's {@code admin/admin}) gets the configured one
 * (logged at WARN, the password never). The admin is made a member of {@code camunda-admin}.</li>
 * <li>Any other user whose password still equals its user id (the sandbox users {@code operator}, {@code approver},
 * {@code approver2}, or a leftover sandbox {@code admin} when the admin has another id) makes the start fail with a
 * message naming them; with {@code opsflow.security.remove-sandbox-users=true} they are deleted instead, each
 * deletion logged at WARN.</li>
 * </ol>
 * Passwords are compared with the stored salted hash, as Camunda's {@code DbReadOnlyIdentityServiceProvider} does,
 * never with {@code IdentityService.checkPassword}: a failed check counts as a failed login and throttles (after
 * enough of them, locks) that user.
 * <p>
 * Runs once every singleton exists (so the engine is built and the starter has created its admin user), before the
 * web server opens its port: the stale passwords are never accepted over HTTP, and a refused start never listened.
 */
@Component
@Profile("prod")
public class ProdIdentityCheck implements SmartInitializingSingleton {
    private static final Logger LOG = LoggerFactory.getLogger(ProdIdentityCheck.class);
    static final String REMOVE_PROPERTY = "opsflow.security.remove-sandbox-users";
    private static final int PAGE = 500;

    private final ProcessEngine engine;
    private final String adminId;
    private final String adminPassword;
    private final boolean removeSandboxUsers;

    public ProdIdentityCheck(ProcessEngine engine,
                             @Value("${camunda.bpm.admin-user.id:admin}") String adminId,
                             @Value("${camunda.bpm.admin-user.password:}") String adminPassword,
                             @Value("${" + REMOVE_PROPERTY + ":false}") boolean removeSandboxUsers) {
        this.engine = engine;
        this.adminId = adminId;
        this.adminPassword = adminPassword;
        this.removeSandboxUsers = removeSandboxUsers;
    }

    @Override
    public void afterSingletonsInstantiated() {
        IdentityService ids = engine.getIdentityService();
        if (ids.isReadOnly()) {
            LOG.info("prod profile: read-only identity provider, users and passwords are managed outside opsflow");
            return;
        }
        if (adminPassword == null || adminPassword.isBlank()) {
            throw new IllegalStateException("prod profile: the admin password is missing. Set OPSFLOW_ADMIN_PASSWORD.");
        }
        PasswordManager passwords = ((ProcessEngineConfigurationImpl) engine.getProcessEngineConfiguration())
                .getPasswordManager();
        ensureAdmin(ids, passwords);

        List<String> sandboxUsers = usersWithPasswordEqualToId(ids, passwords);
        if (sandboxUsers.isEmpty()) {
            return;
        }
        String names = String.join(", ", sandboxUsers);
        if (!removeSandboxUsers) {
            throw new IllegalStateException("prod profile: sandbox users with default passwords (password = user id)"
                    + " found in the database: " + names + ". Anyone could log in as them. Set " + REMOVE_PROPERTY
                    + "=true (environment OPSFLOW_SECURITY_REMOVESANDBOXUSERS=true) to have opsflow delete them at"
                    + " startup, or give them real passwords or delete them (Camunda Admin, from a start without the"
                    + " prod profile) and start again.");
        }
        for (String id : sandboxUsers) {
            ids.deleteUser(id);
            LOG.warn("prod profile: deleted sandbox user '{}' (its password was its user id) from the database"
                    + " ({}=true)", id, REMOVE_PROPERTY);
        }
    }

    private void ensureAdmin(IdentityService ids, PasswordManager passwords) {
        User admin = ids.createUserQuery().userId(adminId).singleResult();
        if (admin == null) {
            // the starter creates it; only a customised setup gets here
            admin = ids.newUser(adminId);
            admin.setPassword(adminPassword);
            ids.saveUser(admin);
            LOG.warn("prod profile: created admin user '{}' with the configured password", adminId);
        } else if (!hasPassword(passwords, admin, adminPassword)) {
            admin.setPassword(adminPassword);
            ids.saveUser(admin);
            // a lock from failed logins against the old password would keep the configured admin out
            ids.unlockUser(adminId);
            LOG.warn("prod profile: admin user '{}' existed in the database with another password; its password was"
                    + " reset to the configured one (OPSFLOW_ADMIN_PASSWORD)", adminId);
        }

        if (ids.createGroupQuery().groupId(Groups.CAMUNDA_ADMIN).count() == 0) {
            Group g = ids.newGroup(Groups.CAMUNDA_ADMIN);
            g.setName("camunda BPM Administrators");
            g.setType(Groups.GROUP_TYPE_SYSTEM);
            ids.saveGroup(g);
        }
        // as the Camunda starter does when it creates the admin: ALL on every resource for camunda-admin
        AuthorizationService auth = engine.getAuthorizationService();
        for (Resource resource : Resources.values()) {
            if (auth.createAuthorizationQuery().groupIdIn(Groups.CAMUNDA_ADMIN).resourceType(resource)
                    .resourceId(Authorization.ANY).count() == 0) {
                Authorization a = auth.createNewAuthorization(Authorization.AUTH_TYPE_GRANT);
                a.setGroupId(Groups.CAMUNDA_ADMIN);
                a.setResource(resource);
                a.setResourceId(Authorization.ANY);
                a.addPermission(Permissions.ALL);
                auth.saveAuthorization(a);
            }
        }
        if (ids.createUserQuery().userId(adminId).memberOfGroup(Groups.CAMUNDA_ADMIN).count() == 0) {
            ids.createMembership(adminId, Groups.CAMUNDA_ADMIN);
            LOG.warn("prod profile: admin user '{}' added to group {}", adminId, Groups.CAMUNDA_ADMIN);
        }
    }

    /** Every user but the configured admin whose password is its user id, in user id order. */
    private List<String> usersWithPasswordEqualToId(IdentityService ids, PasswordManager passwords) {
        List<String> found = new ArrayList<>();
        for (int first = 0; ; first += PAGE) {
            List<User> page = ids.createUserQuery().orderByUserId().asc().listPage(first, PAGE);
            for (User u : page) {
                if (!u.getId().equals(adminId) && hasPassword(passwords, u, u.getId())) {
                    found.add(u.getId());
                }
            }
            if (page.size() < PAGE) {
                return found;
            }
        }
    }

    /**
     * Whether {@code candidate} is the user's password, compared with the stored salted hash the way Camunda's
     * {@code DbReadOnlyIdentityServiceProvider.matchPassword} does. Unlike {@code IdentityService.checkPassword} it
     * counts no failed login (no throttling, no lock). False when the user has no stored password or its hash
     * cannot be checked (unknown algorithm).
     */
    public static boolean hasPassword(PasswordManager passwords, User user, String candidate) {
        if (!(user instanceof UserEntity entity) || candidate == null || entity.getPassword() == null) {
            return false;
        }
        try {
            return passwords.check(EncryptionUtil.saltPassword(candidate, entity.getSalt()), entity.getPassword());
        } catch (RuntimeException e) {
            LOG.warn("prod profile: cannot check the stored password hash of user '{}': {}", user.getId(),
                    e.getMessage());
            return false;
        }
    }
}
