package io.opsflow.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.List;

import org.camunda.bpm.engine.identity.User;
import org.camunda.bpm.engine.impl.digest.Default16ByteSaltGenerator;
import org.camunda.bpm.engine.impl.digest.PasswordManager;
import org.camunda.bpm.engine.impl.digest.ShaHashDigest;
import org.camunda.bpm.engine.impl.digest.Sha512HashDigest;
import org.camunda.bpm.engine.impl.persistence.entity.UserEntity;
import org.junit.jupiter.api.Test;

import io.opsflow.platform.security.ProdIdentityCheck;

/**
 * The prod profile finds sandbox users by comparing the stored salted hash with the user id, the way Camunda does
 * (never with IdentityService.checkPassword, which counts a failed login against the user).
 */
class ProdIdentityCheckTest {

    /** What the engine builds by default (ProcessEngineConfigurationImpl.initPasswordDigest). */
    private final PasswordManager passwords = new PasswordManager(new Sha512HashDigest(), List.of());

    /** A user row as the engine stores it: {SHA-512}hash(password + salt), salt. */
    private UserEntity stored(String id, String password, String salt) {
        UserEntity u = new UserEntity(id);
        u.setSalt(salt);
        u.setDbPassword(passwords.encrypt(password + (salt == null ? "" : salt)));
        return u;
    }

    @Test
    void recognisesAPasswordEqualToTheUserId() {
        String salt = new Default16ByteSaltGenerator().generateSalt();
        assertThat(ProdIdentityCheck.hasPassword(passwords, stored("operator", "operator", salt), "operator")).isTrue();
    }

    @Test
    void aChangedPasswordIsNotTheUserId() {
        String salt = new Default16ByteSaltGenerator().generateSalt();
        UserEntity changed = stored("operator", "a-real-password-now", salt);
        assertThat(ProdIdentityCheck.hasPassword(passwords, changed, "operator")).isFalse();
        assertThat(ProdIdentityCheck.hasPassword(passwords, changed, "a-real-password-now")).isTrue();
    }

    @Test
    void theSaltIsPartOfTheHash() {
        UserEntity u = stored("approver", "approver", new Default16ByteSaltGenerator().generateSalt());
        u.setSalt(new Default16ByteSaltGenerator().generateSalt());
        assertThat(ProdIdentityCheck.hasPassword(passwords, u, "approver")).isFalse();
    }

    @Test
    void usersFromBeforeSaltsAndSha1HashesAreChecked() {
        assertThat(ProdIdentityCheck.hasPassword(passwords, stored("approver2", "approver2", null), "approver2"))
                .isTrue();
        UserEntity sha1 = new UserEntity("old");
        sha1.setDbPassword("{SHA}" + new ShaHashDigest().encrypt("old"));
        assertThat(ProdIdentityCheck.hasPassword(passwords, sha1, "old")).isTrue();
        assertThat(ProdIdentityCheck.hasPassword(passwords, sha1, "other")).isFalse();
    }

    @Test
    void noStoredPasswordOrAnUnknownHashIsNoMatchAndNoError() {
        UserEntity none = new UserEntity("nopassword");
        assertThat(ProdIdentityCheck.hasPassword(passwords, none, "nopassword")).isFalse();
        UserEntity unknown = new UserEntity("bcrypt");
        unknown.setDbPassword("{BCRYPT}$2a$10$abcdefghijklmnopqrstuv");
        assertThat(ProdIdentityCheck.hasPassword(passwords, unknown, "bcrypt")).isFalse();
        UserEntity noPrefix = new UserEntity("noprefix");
        noPrefix.setDbPassword("c2hhLWhhc2g=");
        assertThat(ProdIdentityCheck.hasPassword(passwords, noPrefix, "noprefix")).isFalse();
        assertThat(ProdIdentityCheck.hasPassword(passwords, stored("x", "x", "s"), null)).isFalse();
    }

    @Test
    void aUserThatIsNotAnEngineEntityIsNeverMatched() {
        User foreign = mock(User.class);
        when(foreign.getId()).thenReturn("ldap-user");
        assertThat(ProdIdentityCheck.hasPassword(passwords, foreign, "ldap-user")).isFalse();
    }
}
