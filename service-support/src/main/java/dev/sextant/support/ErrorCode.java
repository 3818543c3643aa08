package dev.sextant.support;

import java.net.URI;

import org.springframework.http.HttpStatus;

/**
 * A stable error code: its {@link #type()} URI never changes once published, so clients may switch on it.
 *
 * <pre>{@code
 * throw new SextantException(ErrorCode.of("collection-not-found", HttpStatus.NOT_FOUND, "Collection not found"),
 *         "collection", "No collection named 'docs' for this tenant");
 * }</pre>
 */
public record ErrorCode(String code, HttpStatus status, String title) {

    /** Base of every problem type URI. */
    public static final String TYPE_BASE = "https://sextant.dev/problems/";

    public static final ErrorCode VALIDATION = of("validation-failed", HttpStatus.BAD_REQUEST, "Request is not valid");
    public static final ErrorCode MALFORMED_BODY = of("malformed-body", HttpStatus.BAD_REQUEST, "Request body cannot be read");
    public static final ErrorCode MISSING_PARAMETER = of("missing-parameter", HttpStatus.BAD_REQUEST, "Required parameter is missing");
    public static final ErrorCode NOT_FOUND = of("not-found", HttpStatus.NOT_FOUND, "Resource not found");
    public static final ErrorCode METHOD_NOT_ALLOWED = of("method-not-allowed", HttpStatus.METHOD_NOT_ALLOWED, "Method not allowed");
    public static final ErrorCode UNSUPPORTED_MEDIA_TYPE = of("unsupported-media-type", HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Unsupported media type");
    public static final ErrorCode NOT_ACCEPTABLE = of("not-acceptable", HttpStatus.NOT_ACCEPTABLE, "Not acceptable");
    public static final ErrorCode PAYLOAD_TOO_LARGE = of("payload-too-large", HttpStatus.CONTENT_TOO_LARGE, "Request body too large");
    public static final ErrorCode MISSING_TENANT = of("missing-tenant", HttpStatus.UNAUTHORIZED, "No tenant on the request");
    public static final ErrorCode UPSTREAM_UNAVAILABLE = of("upstream-unavailable", HttpStatus.SERVICE_UNAVAILABLE, "A service this request needs is unavailable");
    public static final ErrorCode INTERNAL = of("internal-error", HttpStatus.INTERNAL_SERVER_ERROR, "Internal error");

    public static ErrorCode of(String code, HttpStatus status, String title) {
        return new ErrorCode(code, status, title);
    }

    public URI type() {
        return URI.create(TYPE_BASE + code);
    }
}
