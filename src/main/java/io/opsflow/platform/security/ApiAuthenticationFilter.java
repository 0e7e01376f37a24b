package io.opsflow.platform.security;

import java.io.IOException;
import java.util.Set;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.rest.security.auth.ProcessEngineAuthenticationFilter;
import org.camunda.bpm.webapp.impl.security.auth.AuthenticationUtil;
import org.camunda.bpm.webapp.impl.security.auth.Authentications;
import org.camunda.bpm.webapp.impl.security.auth.UserAuthentication;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;

/**
 * Authentication of opsflow's own API ({@code /api}): HTTP Basic like {@code /engine-rest}, and in addition, for
 * reads only ({@code GET}/{@code HEAD}), the session of a user logged into the Camunda webapps. That is what lets a
 * Tasklist form list the backup catalog ({@code restore-start.html} calls {@code GET /api/backups}) without asking
 * the operator for their password a second time. Writes ({@code POST /api/alerts/…}) always need Basic: a browser
 * session never triggers them, so a cross-site request cannot either.
 *
 * <p>The session's user reaches the engine exactly as a Basic user does (identity with groups and tenants), so the
 * engine's authorization checks apply unchanged; the session is the one Camunda's own login created and keeps
 * validating (its authentication cache), opsflow only reads it.
 */
public class ApiAuthenticationFilter extends ProcessEngineAuthenticationFilter {
    static final Set<String> READS = Set.of("GET", "HEAD");

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest http = (HttpServletRequest) request;
        UserAuthentication user = READS.contains(http.getMethod()) ? webappUser(http) : null;
        if (user == null) {
            super.doFilter(request, response, chain);
            return;
        }
        ProcessEngine engine = getAddressedEngine(user.getProcessEngineName());
        if (engine == null) {
            super.doFilter(request, response, chain);
            return;
        }
        setAuthenticatedUser(engine, user.getName(), user.getGroupIds(), user.getTenantIds());
        try {
            chain.doFilter(request, response);
        } finally {
            clearAuthentication(engine);
        }
    }

    /** The user logged into the webapps on the default engine in this request's session, or null. */
    static UserAuthentication webappUser(HttpServletRequest request) {
        HttpSession session = request.getSession(false);
        if (session == null) {
            return null;
        }
        Authentications auths = AuthenticationUtil.getAuthsFromSession(session);
        if (auths == null) {
            return null;
        }
        return auths.getAuthentications().stream()
                .filter(a -> "default".equals(a.getProcessEngineName()) && a.getName() != null)
                .findFirst().orElse(null);
    }
}
