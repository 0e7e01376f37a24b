package io.opsflow.platform.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.util.Base64;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.identity.Group;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;

/**
 * {@code /actuator/health} stays open (load balancer probes: status only). A request with HTTP Basic credentials
 * that the engine's identity service accepts becomes a request of that user with their groups as roles, which is
 * what Spring Boot's {@code show-details: when-authorized} with {@code management.endpoint.health.roles:
 * camunda-admin} reads ({@code getUserPrincipal}, {@code isUserInRole}): administrators see details and components
 * (including {@code tools}), everybody else the status alone. Wrong or malformed credentials are simply not an
 * authentication: the answer is the anonymous one (status only), never an error or a detail.
 */
public class HealthDetailsFilter implements jakarta.servlet.Filter {
    private final Supplier<IdentityService> identity;

    public HealthDetailsFilter(Supplier<IdentityService> identity) {
        this.identity = identity;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest http = (HttpServletRequest) request;
        String[] credentials = basic(http.getHeader("Authorization"));
        if (credentials == null) {
            chain.doFilter(request, response);
            return;
        }
        IdentityService ids = identity.get();
        if (!ids.checkPassword(credentials[0], credentials[1])) {
            chain.doFilter(request, response);
            return;
        }
        String user = credentials[0];
        Set<String> groups = ids.createGroupQuery().groupMember(user).list().stream().map(Group::getId)
                .collect(Collectors.toUnmodifiableSet());
        chain.doFilter(new HttpServletRequestWrapper(http) {
            @Override
            public Principal getUserPrincipal() {
                return () -> user;
            }

            @Override
            public String getRemoteUser() {
                return user;
            }

            @Override
            public boolean isUserInRole(String role) {
                return groups.contains(role);
            }
        }, response);
    }

    /** user and password of a Basic header, or null when there is none or it is malformed. */
    static String[] basic(String header) {
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            return null;
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0 || colon > 128) {
            return null;
        }
        return new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
    }
}
