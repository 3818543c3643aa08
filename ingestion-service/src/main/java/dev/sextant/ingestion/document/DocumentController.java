package dev.sextant.ingestion.document;

import java.util.List;

import jakarta.validation.Valid;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;
import dev.sextant.support.Tenants;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /v1/collections/{c}/documents}: files as multipart parts named {@code file} (with an optional form
 * field {@code documents}, a JSON array of per-file fields), or JSON text. Answers 202 with a job per document
 * (200 when every document was unchanged). {@code DELETE .../documents/{id}} removes a document from search.
 */
@RestController
class DocumentController {

    private final DocumentIntakeService intake;
    private final JsonMapper json = JsonMapper.builder().build();

    DocumentController(DocumentIntakeService intake) {
        this.intake = intake;
    }

    @PostMapping(path = "/v1/collections/{collection}/documents", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    ResponseEntity<IngestResponse> upload(@PathVariable String collection,
            @RequestHeader(name = Tenants.HEADER, required = false) String tenant,
            @RequestParam(name = "file", required = false) List<MultipartFile> files,
            @RequestParam(name = "documents", required = false) String documents) {
        List<DocumentRequests.FileDocument> fields = null;
        if (documents != null && !documents.isBlank()) {
            try {
                fields = json.readValue(documents, new TypeReference<List<DocumentRequests.FileDocument>>() { });
            } catch (JacksonException e) {
                throw new SextantException(ErrorCode.VALIDATION, "documents",
                        "'documents' must be a JSON array of {documentId,title,uri,metadata,acl}: " + e.getOriginalMessage());
            }
        }
        return respond(intake.ingestFiles(tenant(tenant), collection, files == null ? List.of() : files, fields));
    }

    @PostMapping(path = "/v1/collections/{collection}/documents", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<IngestResponse> ingestText(@PathVariable String collection,
            @RequestHeader(name = Tenants.HEADER, required = false) String tenant,
            @Valid @RequestBody DocumentRequests.JsonDocuments request) {
        return respond(intake.ingestJson(tenant(tenant), collection, request));
    }

    @DeleteMapping("/v1/collections/{collection}/documents/{documentId}")
    ResponseEntity<Void> delete(@PathVariable String collection, @PathVariable String documentId,
            @RequestHeader(name = Tenants.HEADER, required = false) String tenant) {
        intake.delete(tenant(tenant), collection, documentId);
        return ResponseEntity.noContent().build();
    }

    static String tenant(String header) {
        return header == null || header.isBlank() ? Tenants.DEFAULT : header;
    }

    private static ResponseEntity<IngestResponse> respond(IngestResponse response) {
        boolean queued = response.documents().stream().anyMatch(d -> "queued".equals(d.status()));
        return ResponseEntity.status(queued ? HttpStatus.ACCEPTED : HttpStatus.OK).body(response);
    }
}
