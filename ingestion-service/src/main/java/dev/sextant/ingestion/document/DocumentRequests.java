package dev.sextant.ingestion.document;

import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

/** Request bodies of {@code POST /v1/collections/{c}/documents}. */
final class DocumentRequests {

    private DocumentRequests() {
    }

    /**
     * The JSON form: text given inline.
     *
     * <pre>{@code {"documents":[{"title":"Leave policy","text":"...","uri":"https://intranet/leave","metadata":{"dept":"hr"},"acl":{"groups":["staff"]}}]}}</pre>
     */
    record JsonDocuments(@NotEmpty @Size(max = 1000) List<@Valid @NotNull JsonDocument> documents) {
    }

    /**
     * @param documentId optional stable id; without it the id is derived from {@code uri}, else from {@code title}
     * @param mediaType  text/plain (default) or text/markdown
     * @param acl        who may see the document, passed on to retrieval as {@code metadata.acl}
     */
    record JsonDocument(String documentId, @NotNull String text, @NotBlank @Size(max = 1000) String title,
            @Size(max = 4000) String uri, String mediaType, Map<String, Object> metadata, Object acl) {
    }

    /**
     * Per-file fields of a multipart upload, sent as the form field {@code documents}: a JSON array aligned with
     * the {@code file} parts. Every field is optional; the title defaults to the file name.
     */
    record FileDocument(String documentId, String title, String uri, Map<String, Object> metadata, Object acl) {
    }
}
