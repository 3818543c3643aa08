package dev.sextant.ingestion;

import org.springframework.http.HttpStatus;

import dev.sextant.support.ErrorCode;

/** The error codes only ingestion answers with; shared ones live in {@link ErrorCode}. */
public final class IngestionErrors {

    public static final ErrorCode DOCUMENT_ENCRYPTED = ErrorCode.of("document-encrypted",
            HttpStatus.UNPROCESSABLE_CONTENT, "The document is encrypted or password-protected");
    public static final ErrorCode DOCUMENT_UNREADABLE = ErrorCode.of("document-unreadable",
            HttpStatus.UNPROCESSABLE_CONTENT, "The document is corrupt or cannot be parsed");
    public static final ErrorCode DOCUMENT_TOO_LARGE = ErrorCode.of("document-too-large",
            HttpStatus.CONTENT_TOO_LARGE, "The document passes a size limit");
    public static final ErrorCode JOB_NOT_FOUND = ErrorCode.of("job-not-found",
            HttpStatus.NOT_FOUND, "No such ingestion job");
    public static final ErrorCode DOCUMENT_NOT_FOUND = ErrorCode.of("document-not-found",
            HttpStatus.NOT_FOUND, "No such document");

    private IngestionErrors() {
    }
}
