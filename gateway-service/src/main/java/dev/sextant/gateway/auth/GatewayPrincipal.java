package dev.sextant.gateway.auth;

import java.util.List;

/**
 * Who is calling, as the gateway tells the services: the tenant, the key (or token subject) and its scopes
 * become the {@code X-Sextant-Tenant}, {@code X-Sextant-Key-Id} and {@code X-Sextant-Scopes} headers.
 */
public record GatewayPrincipal(String keyId, String tenant, List<String> scopes, Limits limits, boolean admin) {

    public boolean allows(String scope) {
        return scope == null || scopes.contains("*") || scopes.contains(scope);
    }
}
