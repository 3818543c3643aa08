package dev.sextant.gateway.auth;

import java.util.List;

import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/** A verified API key, admin key or JWT, carrying the {@link GatewayPrincipal}. */
public final class GatewayAuthentication extends AbstractAuthenticationToken {

    public static final String ROLE_CLIENT = "ROLE_CLIENT";
    public static final String ROLE_ADMIN = "ROLE_ADMIN";

    private final GatewayPrincipal principal;

    public GatewayAuthentication(GatewayPrincipal principal) {
        super(List.of(new SimpleGrantedAuthority(principal.admin() ? ROLE_ADMIN : ROLE_CLIENT)));
        this.principal = principal;
        setAuthenticated(true);
    }

    @Override
    public Object getCredentials() {
        return "";
    }

    @Override
    public GatewayPrincipal getPrincipal() {
        return principal;
    }

    @Override
    public String getName() {
        return principal.keyId();
    }
}
