package dev.sextant.gateway.problem;

import org.springframework.http.HttpStatus;

/**
 * An error the gateway answers itself, rendered as RFC 9457 problem details (or OpenAI's error shape on
 * OpenAI-compatible paths) by {@link GatewayErrorHandler}.
 *
 * <pre>{@code
 * throw GatewayException.of(HttpStatus.TOO_MANY_REQUESTS, "rate-limited", "Too many requests", null,
 *         "Key key_1 allows 5 requests per second").retryAfter(1);
 * }</pre>
 */
public final class GatewayException extends RuntimeException {

    /** Base of every problem type URI; the same base service-support uses. */
    public static final String TYPE_BASE = "https://sextant.dev/problems/";

    private final HttpStatus status;
    private final String code;
    private final String title;
    private final String field;
    private final long retryAfterSeconds;

    private GatewayException(HttpStatus status, String code, String title, String field, String detail,
            long retryAfterSeconds, Throwable cause) {
        super(detail, cause, false, false);
        this.status = status;
        this.code = code;
        this.title = title;
        this.field = field;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static GatewayException of(HttpStatus status, String code, String title, String field, String detail) {
        return new GatewayException(status, code, title, field, detail, -1, null);
    }

    public static GatewayException unauthorized(String detail) {
        return of(HttpStatus.UNAUTHORIZED, "invalid-api-key", "Missing or invalid credentials", null, detail);
    }

    public static GatewayException forbidden(String detail) {
        return of(HttpStatus.FORBIDDEN, "insufficient-scope", "The credentials do not allow this request", null, detail);
    }

    public static GatewayException rateLimited(String detail, long retryAfterSeconds) {
        return new GatewayException(HttpStatus.TOO_MANY_REQUESTS, "rate-limited", "Too many requests", null, detail,
                retryAfterSeconds, null);
    }

    public static GatewayException tokenQuotaExceeded(String detail, long retryAfterSeconds) {
        return new GatewayException(HttpStatus.TOO_MANY_REQUESTS, "token-quota-exceeded", "Token quota exceeded",
                null, detail, retryAfterSeconds, null);
    }

    public static GatewayException payloadTooLarge(long limitBytes) {
        return of(HttpStatus.CONTENT_TOO_LARGE, "payload-too-large", "Request body too large", null,
                "The request body exceeds the limit of " + limitBytes + " bytes for this route");
    }

    public static GatewayException upstreamUnavailable(String route, String detail, Throwable cause) {
        return new GatewayException(HttpStatus.SERVICE_UNAVAILABLE, "upstream-unavailable",
                "A service this request needs is unavailable", null,
                "Service '" + route + "' is unavailable: " + detail, -1, cause);
    }

    public static GatewayException upstreamTimeout(String route, String detail) {
        return of(HttpStatus.GATEWAY_TIMEOUT, "upstream-timeout", "A service this request needs did not answer in time",
                null, "Service '" + route + "' did not answer in time: " + detail);
    }

    public static GatewayException validation(String field, String detail) {
        return of(HttpStatus.BAD_REQUEST, "validation-failed", "Request is not valid", field, detail);
    }

    public HttpStatus status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String title() {
        return title;
    }

    public String field() {
        return field;
    }

    /** Seconds for a {@code Retry-After} header, or -1 for none. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
