package dev.sextant.retrieval.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.sextant.retrieval.store.filter.Filter;
import dev.sextant.retrieval.store.filter.FilterParser;
import tools.jackson.databind.json.JsonMapper;

/**
 * The behaviour every {@link ChunkStore} must have (Spring AI's BaseVectorStoreTests pattern): subclasses supply
 * the store, this suite runs unchanged against each. Each test uses fresh tenants, so stores may be shared.
 */
public abstract class ChunkStoreContractTests {

    protected static final int DIM = 8;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    protected abstract ChunkStore store();

    protected String tenantA;
    protected String tenantB;
    protected CollectionInfo docs;

    @BeforeEach
    void seed() {
        tenantA = "tenant-a-" + UUID.randomUUID();
        tenantB = "tenant-b-" + UUID.randomUUID();
        docs = store().createCollection(tenantA, "docs", "test-model", DIM, VectorType.VECTOR);
        seedAnimals(tenantA, docs);
    }

    /**
     * Drops what the test created: on pgvector each collection is a partial HNSW index on the shared chunks table, and
     * the planner considers every one of them for every query (dense planning 0.2 ms with one collection in the
     * database, 2 ms with 423), so a shared test database must not keep them.
     */
    @AfterEach
    void dropCollections() {
        for (String tenant : List.of(tenantA, tenantB)) {
            for (CollectionInfo c : store().listCollections(tenant)) {
                store().deleteCollection(tenant, c.name());
            }
        }
    }

    protected void seedAnimals(String tenant, CollectionInfo c) {
        store().replaceDocument(tenant, c, doc("cats", 1, Map.of("lang", "en", "year", 2019, "published", true,
                "source", Map.of("kind", "book")), "Cats are small domesticated felines that purr and hunt mice.", axis(0)));
        store().replaceDocument(tenant, c, doc("dogs", 1, Map.of("lang", "de", "year", 2021, "published", false),
                "Dogs are loyal canines that bark at strangers.", axis(1)));
        store().replaceDocument(tenant, c, doc("rust", 1, Map.of("lang", "en", "year", 2023, "topic", "code"),
                "Rust is a systems programming language without a garbage collector.", axis(2)));
    }

    protected static DocumentInput doc(String id, long version, Map<String, Object> metadata, String text, float[] vector) {
        return new DocumentInput(id, "Title of " + id, "file:///" + id + ".txt", "hash-" + id + "-" + version, version,
                metadata, List.of(new ChunkInput(0, text, 0, text.length(), 1, List.of("Intro"), vector)));
    }

    /** A unit vector near basis axis i, with a little weight on the others so that no two are orthogonal. */
    protected static float[] axis(int i) {
        float[] v = new float[DIM];
        for (int j = 0; j < DIM; j++) {
            v[j] = j == i ? 1f : 0.05f * (j + 1);
        }
        return v;
    }

    private static Set<String> ids(List<ScoredChunk> hits) {
        return hits.stream().map(h -> h.chunk().documentId()).collect(Collectors.toSet());
    }

    private static Filter filter(String json) {
        return FilterParser.parse(JSON.readTree(json));
    }

    @Test
    void createsListsFindsAndDeletesCollections() {
        CollectionInfo other = store().createCollection(tenantA, "other", "test-model", 3, VectorType.VECTOR);
        assertThat(other.dimension()).isEqualTo(3);
        assertThat(other.embeddingModel()).isEqualTo("test-model");
        assertThat(store().listCollections(tenantA)).extracting(CollectionInfo::name).containsExactly("docs", "other");
        assertThat(store().findCollection(tenantA, "other")).hasValueSatisfying(c -> assertThat(c.id()).isEqualTo(other.id()));
        assertThat(store().deleteCollection(tenantA, "other")).isTrue();
        assertThat(store().deleteCollection(tenantA, "other")).isFalse();
        assertThat(store().findCollection(tenantA, "other")).isEmpty();
    }

    @Test
    void refusesSecondCollectionWithSameNameForSameTenant() {
        assertThatThrownBy(() -> store().createCollection(tenantA, "docs", "m", DIM, VectorType.VECTOR))
                .isInstanceOf(CollectionExistsException.class);
    }

    @Test
    void sameCollectionNameInAnotherTenantIsSeparate() {
        CollectionInfo theirs = store().createCollection(tenantB, "docs", "test-model", DIM, VectorType.VECTOR);
        assertThat(theirs.id()).isNotEqualTo(docs.id());
        assertThat(store().dense(tenantB, theirs, axis(0), 10, Filter.NONE, 40)).isEmpty();
        assertThat(store().listCollections(tenantB)).extracting(CollectionInfo::name).containsExactly("docs");
    }

    @Test
    void denseSearchRanksNearestFirstWithCosineScore() {
        List<ScoredChunk> hits = store().dense(tenantA, docs, axis(1), 3, Filter.NONE, 40);
        assertThat(hits).extracting(h -> h.chunk().documentId()).first().isEqualTo("dogs");
        assertThat(hits.getFirst().score()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(hits.get(1).score()).isLessThan(hits.getFirst().score());
        StoredChunk top = hits.getFirst().chunk();
        assertThat(top.title()).isEqualTo("Title of dogs");
        assertThat(top.uri()).isEqualTo("file:///dogs.txt");
        assertThat(top.headingPath()).containsExactly("Intro");
        assertThat(top.page()).isEqualTo(1);
        assertThat(top.endOffset()).isEqualTo(top.text().length());
        assertThat(top.metadata()).containsEntry("lang", "de");
    }

    @Test
    void denseSearchReturnsAtMostTopK() {
        assertThat(store().dense(tenantA, docs, axis(0), 2, Filter.NONE, 40)).hasSize(2);
    }

    @Test
    void lexicalSearchMatchesAnyQueryTermAndRanksBestFirst() {
        List<ScoredChunk> hits = store().lexical(tenantA, docs, "which language has no garbage collector, cats?", 10, Filter.NONE);
        assertThat(hits).extracting(h -> h.chunk().documentId()).containsExactly("rust", "cats");
        assertThat(hits.getFirst().score()).isGreaterThan(hits.get(1).score());
    }

    @Test
    void lexicalSearchStemsWords() {
        assertThat(ids(store().lexical(tenantA, docs, "barking dog", 10, Filter.NONE))).containsExactly("dogs");
    }

    @Test
    void lexicalSearchOfOnlyStopwordsFindsNothing() {
        assertThat(store().lexical(tenantA, docs, "the and of", 10, Filter.NONE)).isEmpty();
    }

    @Test
    void replacingDocumentSwapsAllItsChunks() {
        String text0 = "Version two speaks of lions.";
        String text1 = "And of tigers in a second chunk.";
        store().replaceDocument(tenantA, docs, new DocumentInput("cats", "Cats v2", null, "h2", 2, Map.of("lang", "en"), List.of(
                new ChunkInput(0, text0, 0, text0.length(), null, List.of(), axis(3)),
                new ChunkInput(1, text1, text0.length() + 1, text0.length() + 1 + text1.length(), null, List.of(), axis(4)))));
        assertThat(store().lexical(tenantA, docs, "purr mice", 10, Filter.NONE)).isEmpty();
        List<ScoredChunk> tigers = store().lexical(tenantA, docs, "tigers", 10, Filter.NONE);
        assertThat(tigers).singleElement().satisfies(h -> {
            assertThat(h.chunk().index()).isEqualTo(1);
            assertThat(h.chunk().version()).isEqualTo(2);
            assertThat(h.chunk().title()).isEqualTo("Cats v2");
        });
        assertThat(store().dense(tenantA, docs, axis(0), 10, Filter.NONE, 40)).filteredOn(h -> h.chunk().documentId().equals("cats")).hasSize(2);
    }

    @Test
    void refusesOlderVersionAndKeepsTheStoredOne() {
        store().replaceDocument(tenantA, docs, doc("cats", 5, Map.of(), "Cats version five.", axis(0)));
        assertThatThrownBy(() -> store().replaceDocument(tenantA, docs, doc("cats", 4, Map.of(), "Cats version four.", axis(0))))
                .isInstanceOf(StaleVersionException.class)
                .satisfies(e -> assertThat(((StaleVersionException) e).storedVersion()).isEqualTo(5));
        assertThat(store().lexical(tenantA, docs, "five", 10, Filter.NONE)).hasSize(1);
        assertThat(store().lexical(tenantA, docs, "four", 10, Filter.NONE)).isEmpty();
    }

    @Test
    void deletingDocumentRemovesItFromBothSearches() {
        assertThat(store().deleteDocument(tenantA, docs, "rust")).isTrue();
        assertThat(store().deleteDocument(tenantA, docs, "rust")).isFalse();
        assertThat(ids(store().dense(tenantA, docs, axis(2), 10, Filter.NONE, 40))).doesNotContain("rust");
        assertThat(store().lexical(tenantA, docs, "garbage collector", 10, Filter.NONE)).isEmpty();
    }

    @Test
    void deletingCollectionRemovesItsDocuments() {
        assertThat(store().deleteCollection(tenantA, "docs")).isTrue();
        CollectionInfo again = store().createCollection(tenantA, "docs", "test-model", DIM, VectorType.VECTOR);
        assertThat(store().dense(tenantA, again, axis(0), 10, Filter.NONE, 40)).isEmpty();
        assertThat(store().lexical(tenantA, again, "cats", 10, Filter.NONE)).isEmpty();
    }

    @Test
    void halfvecCollectionFindsTheSameNearestNeighbours() {
        CollectionInfo half = store().createCollection(tenantA, "half", "test-model", DIM, VectorType.HALFVEC);
        assertThat(half.vectorType()).isEqualTo(VectorType.HALFVEC);
        seedAnimals(tenantA, half);
        assertThat(store().dense(tenantA, half, axis(2), 3, Filter.NONE, 40)).extracting(h -> h.chunk().documentId())
                .first().isEqualTo("rust");
    }

    static Stream<Arguments> filters() {
        return Stream.of(
                Arguments.of("{\"op\":\"eq\",\"field\":\"lang\",\"value\":\"en\"}", Set.of("cats", "rust")),
                Arguments.of("{\"op\":\"eq\",\"field\":\"year\",\"value\":2021}", Set.of("dogs")),
                Arguments.of("{\"op\":\"eq\",\"field\":\"year\",\"value\":2021.0}", Set.of("dogs")),
                Arguments.of("{\"op\":\"eq\",\"field\":\"year\",\"value\":\"2021\"}", Set.of()),
                Arguments.of("{\"op\":\"eq\",\"field\":\"published\",\"value\":true}", Set.of("cats")),
                Arguments.of("{\"op\":\"eq\",\"field\":\"source.kind\",\"value\":\"book\"}", Set.of("cats")),
                Arguments.of("{\"op\":\"in\",\"field\":\"lang\",\"values\":[\"de\",\"fr\"]}", Set.of("dogs")),
                Arguments.of("{\"op\":\"in\",\"field\":\"year\",\"values\":[2019,2023]}", Set.of("cats", "rust")),
                Arguments.of("{\"op\":\"range\",\"field\":\"year\",\"gte\":2020}", Set.of("dogs", "rust")),
                Arguments.of("{\"op\":\"range\",\"field\":\"year\",\"gt\":2019,\"lt\":2023}", Set.of("dogs")),
                Arguments.of("{\"op\":\"range\",\"field\":\"year\",\"lte\":2019.5}", Set.of("cats")),
                Arguments.of("{\"op\":\"range\",\"field\":\"lang\",\"gte\":0}", Set.of()),
                Arguments.of("{\"op\":\"and\",\"filters\":[{\"op\":\"eq\",\"field\":\"lang\",\"value\":\"en\"},"
                        + "{\"op\":\"range\",\"field\":\"year\",\"gt\":2020}]}", Set.of("rust")),
                Arguments.of("{\"op\":\"or\",\"filters\":[{\"op\":\"eq\",\"field\":\"lang\",\"value\":\"de\"},"
                        + "{\"op\":\"eq\",\"field\":\"topic\",\"value\":\"code\"}]}", Set.of("dogs", "rust")),
                Arguments.of("{\"op\":\"not\",\"filter\":{\"op\":\"eq\",\"field\":\"lang\",\"value\":\"en\"}}", Set.of("dogs")),
                Arguments.of("{\"op\":\"not\",\"filter\":{\"op\":\"eq\",\"field\":\"topic\",\"value\":\"code\"}}", Set.of("cats", "dogs")),
                Arguments.of("{\"op\":\"or\",\"filters\":[]}", Set.of()),
                Arguments.of("{\"op\":\"and\",\"filters\":[]}", Set.of("cats", "dogs", "rust")),
                Arguments.of("{\"op\":\"eq\",\"field\":\"lang\",\"value\":\"en' OR '1'='1\"}", Set.of()),
                Arguments.of("{\"op\":\"eq\",\"field\":\"lang\",\"value\":\"x\\\"}'::jsonb OR true --\"}", Set.of()));
    }

    @ParameterizedTest
    @MethodSource("filters")
    void denseSearchKeepsOnlyChunksMatchingTheFilter(String json, Set<String> expected) {
        assertThat(ids(store().dense(tenantA, docs, axis(0), 10, filter(json), 40))).isEqualTo(expected);
    }

    @ParameterizedTest
    @MethodSource("filters")
    void lexicalSearchKeepsOnlyChunksMatchingTheFilter(String json, Set<String> expected) {
        // Every seeded text contains "a" or "are" or "is"... use content words that hit all three documents.
        assertThat(ids(store().lexical(tenantA, docs, "cats dogs rust", 10, filter(json)))).isEqualTo(expected);
    }

    static Stream<String> craftedFilters() {
        return Stream.of(
                "null",
                "{\"op\":\"not\",\"filter\":{\"op\":\"eq\",\"field\":\"tenant\",\"value\":\"nobody\"}}",
                "{\"op\":\"or\",\"filters\":[{\"op\":\"eq\",\"field\":\"lang\",\"value\":\"en\"},{\"op\":\"not\",\"filter\":{\"op\":\"eq\",\"field\":\"lang\",\"value\":\"en\"}}]}",
                "{\"op\":\"eq\",\"field\":\"lang\",\"value\":\"' OR tenant IS NOT NULL OR '\"}",
                "{\"op\":\"not\",\"filter\":{\"op\":\"or\",\"filters\":[]}}");
    }

    @ParameterizedTest
    @MethodSource("craftedFilters")
    void tenantBReadsNothingOfTenantAWhateverTheFilter(String json) {
        Filter f = filter(json);
        CollectionInfo mine = store().createCollection(tenantB, "docs", "test-model", DIM, VectorType.VECTOR);
        assertThat(store().findCollection(tenantB, "docs")).hasValueSatisfying(c -> assertThat(c.id()).isEqualTo(mine.id()));
        assertThat(store().dense(tenantB, mine, axis(0), 10, f, 40)).isEmpty();
        assertThat(store().lexical(tenantB, mine, "cats dogs rust", 10, f)).isEmpty();
        // Even holding tenant A's collection handle, tenant B reads nothing and cannot write into it.
        assertThat(store().dense(tenantB, docs, axis(0), 10, f, 40)).isEmpty();
        assertThat(store().lexical(tenantB, docs, "cats dogs rust", 10, f)).isEmpty();
        assertThatThrownBy(() -> store().replaceDocument(tenantB, docs, doc("evil", 1, Map.of(), "evil", axis(0))))
                .isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> store().deleteDocument(tenantB, docs, "cats")).isInstanceOf(RuntimeException.class);
        assertThat(store().deleteCollection(tenantB, "nonexistent")).isFalse();
        // Tenant A still has everything.
        assertThat(ids(store().dense(tenantA, docs, axis(0), 10, Filter.NONE, 40))).containsExactlyInAnyOrder("cats", "dogs", "rust");
    }
}
