package dev.sextant.retrieval.search;

import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;

import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

import dev.sextant.retrieval.RetrievalErrors;
import dev.sextant.retrieval.store.CollectionInfo;
import dev.sextant.retrieval.store.StoredChunk;
import dev.sextant.retrieval.store.filter.FilterParser;
import dev.sextant.support.Tenants;

/** {@code POST /v1/collections/{collection}/search}. */
@RestController
class SearchController {

    private final SearchService search;

    SearchController(SearchService search) {
        this.search = search;
    }

    @PostMapping("/v1/collections/{collection}/search")
    SearchResponse search(@RequestHeader(value = Tenants.HEADER, required = false) String tenantHeader,
            @PathVariable String collection, @Valid @RequestBody SearchRequest request) {
        String tenant = RetrievalErrors.tenant(tenantHeader);
        var filter = FilterParser.parse(request.filter());
        CollectionInfo c = search.collection(tenant, collection);
        SearchMode mode = request.mode() == null ? SearchMode.HYBRID : request.mode();
        int topK = request.topK() == null ? 10 : request.topK();
        List<Hit> hits = search.search(tenant, c, request.query(), topK, mode, filter, request.efSearch());
        return new SearchResponse(collection, mode, hits.stream().map(SearchController::view).toList());
    }

    static SearchResponse.Item view(Hit h) {
        StoredChunk c = h.chunk();
        return new SearchResponse.Item(c.documentId(), c.index(), c.text(), c.title(), c.uri(), c.startOffset(),
                c.endOffset(), c.page(), c.headingPath(), c.version(), c.metadata(), h.score(), h.denseScore(), h.lexicalScore());
    }

    /** The search answer: hits best first. */
    record SearchResponse(String collection, SearchMode mode, List<Item> hits) {
        record Item(String documentId, int chunkIndex, String text, String title, String uri, int startOffset,
                int endOffset, Integer page, List<String> headingPath, long version, Map<String, Object> metadata,
                double score, Double denseScore, Double lexicalScore) {
        }
    }
}
