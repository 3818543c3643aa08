package dev.sextant.retrieval.collection;

import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

import dev.sextant.retrieval.RetrievalErrors;
import dev.sextant.retrieval.store.ChunkStore;
import dev.sextant.retrieval.store.CollectionExistsException;
import dev.sextant.retrieval.store.VectorType;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;
import dev.sextant.support.Tenants;

/** Create, list and delete the tenant's collections. */
@RestController
class CollectionController {

    /** pgvector's HNSW limits: 2,000 dimensions for vector, 4,000 for halfvec. */
    private static final int MAX_VECTOR_DIMENSION = 2000;

    private final ChunkStore store;

    CollectionController(ChunkStore store) {
        this.store = store;
    }

    @PostMapping("/v1/collections")
    ResponseEntity<CollectionResponse> create(@RequestHeader(value = Tenants.HEADER, required = false) String tenantHeader,
            @Valid @RequestBody CreateCollectionRequest request) {
        String tenant = RetrievalErrors.tenant(tenantHeader);
        VectorType type = request.vectorType() == null ? VectorType.VECTOR : request.vectorType();
        if (type == VectorType.VECTOR && request.dimension() > MAX_VECTOR_DIMENSION) {
            throw new SextantException(ErrorCode.VALIDATION, "dimension",
                    "An HNSW index holds at most " + MAX_VECTOR_DIMENSION + " dimensions of vector; use vectorType 'halfvec' (up to 4000)");
        }
        try {
            var created = store.createCollection(tenant, request.name(), request.embeddingModel(), request.dimension(), type);
            return ResponseEntity.status(HttpStatus.CREATED).body(CollectionResponse.of(created));
        } catch (CollectionExistsException e) {
            throw new SextantException(RetrievalErrors.COLLECTION_EXISTS, "name", e.getMessage());
        }
    }

    @GetMapping("/v1/collections")
    Map<String, List<CollectionResponse>> list(@RequestHeader(value = Tenants.HEADER, required = false) String tenantHeader) {
        return Map.of("collections", store.listCollections(RetrievalErrors.tenant(tenantHeader)).stream()
                .map(CollectionResponse::of).toList());
    }

    @DeleteMapping("/v1/collections/{collection}")
    ResponseEntity<Void> delete(@RequestHeader(value = Tenants.HEADER, required = false) String tenantHeader,
            @PathVariable String collection) {
        if (!store.deleteCollection(RetrievalErrors.tenant(tenantHeader), collection)) {
            throw RetrievalErrors.collectionNotFound(collection);
        }
        return ResponseEntity.noContent().build();
    }
}
