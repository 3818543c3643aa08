package dev.sextant.support;

/**
 * The tenant the gateway authenticated. Only the gateway sets this header; it strips any copy a client sends,
 * so a service may trust it. Services reachable without the gateway must be shielded by network policy.
 */
public final class Tenants {

    public static final String HEADER = "X-Sextant-Tenant";
    public static final String SCOPES_HEADER = "X-Sextant-Scopes";
    public static final String KEY_ID_HEADER = "X-Sextant-Key-Id";
    /** The tenant of local runs and of requests that reach a service directly in development. */
    public static final String DEFAULT = "default";

    private Tenants() {
    }
}
