package dev.sextant.retrieval;

import java.util.regex.Pattern;

import org.springframework.http.HttpStatus;

import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;
import dev.sextant.support.Tenants;

/** The error codes of retrieval-service and the tenant every request acts for. */
public final class RetrievalErrors {

    public static final ErrorCode COLLECTION_NOT_FOUND = ErrorCode.of("collection-not-found", HttpStatus.NOT_FOUND, "Collection not found");
    public static final ErrorCode COLLECTION_EXISTS = ErrorCode.of("collection-exists", HttpStatus.CONFLICT, "Collection already exists");
    public static final ErrorCode DOCUMENT_NOT_FOUND = ErrorCode.of("document-not-found", HttpStatus.NOT_FOUND, "Document not found");
    public static final ErrorCode STALE_VERSION = ErrorCode.of("stale-version", HttpStatus.CONFLICT, "A newer version is stored");
    public static final ErrorCode MODEL_NOT_FOUND = ErrorCode.of("model-not-found", HttpStatus.NOT_FOUND, "No such model");
    public static final ErrorCode CONTEXT_LENGTH_EXCEEDED = ErrorCode.of("context-length-exceeded", HttpStatus.BAD_REQUEST,
            "The passages, the question and the answer do not fit the model's context");
    public static final ErrorCode ANSWER_TRUNCATED = ErrorCode.of("answer-truncated", HttpStatus.UNPROCESSABLE_CONTENT,
            "The answer ran out of tokens before it was complete");
    public static final ErrorCode UPSTREAM_FAILED = ErrorCode.of("upstream-failed", HttpStatus.BAD_GATEWAY, "A service this request needs answered with an error");

    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private RetrievalErrors() {
    }

    /** The gateway's tenant header, {@link Tenants#DEFAULT} when a request reaches the service directly. */
    public static String tenant(String header) {
        if (header == null) {
            return Tenants.DEFAULT;
        }
        if (!TENANT.matcher(header).matches()) {
            throw new SextantException(ErrorCode.VALIDATION, Tenants.HEADER, "Tenant must match " + TENANT.pattern());
        }
        return header;
    }

    public static SextantException collectionNotFound(String name) {
        return new SextantException(COLLECTION_NOT_FOUND, "collection", "No collection named '" + name + "' for this tenant");
    }
}
