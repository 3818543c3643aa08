package dev.sextant.retrieval.document;

import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

/** Contract 4: {@code PUT /internal/collections/{collection}/documents/{documentId}}. */
public record UpsertDocumentRequest(
        @Size(max = 1000) String title,
        @Size(max = 4000) String uri,
        @Size(max = 200) String contentHash,
        @NotNull @Min(0) Long version,
        Map<String, Object> metadata,
        @NotNull @Size(max = 100_000) List<@Valid @NotNull Chunk> chunks) {

    public record Chunk(
            @NotNull @Min(0) Integer index,
            @NotNull String text,
            @NotNull @Min(0) Integer startOffset,
            @NotNull @Min(0) Integer endOffset,
            Integer page,
            List<String> headingPath,
            @NotEmpty float[] embedding) {
    }
}
