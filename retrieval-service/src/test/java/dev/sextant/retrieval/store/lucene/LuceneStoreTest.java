package dev.sextant.retrieval.store.lucene;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sextant.retrieval.store.ChunkInput;
import dev.sextant.retrieval.store.CollectionInfo;
import dev.sextant.retrieval.store.DocumentInput;
import dev.sextant.retrieval.store.VectorType;
import dev.sextant.retrieval.store.filter.Filter;

/** What only the embedded store has: its files on disk. */
class LuceneStoreTest {

    @TempDir
    Path folder;

    private static DocumentInput doc(String text) {
        return new DocumentInput("d1", "T", null, null, 1, Map.of(),
                List.of(new ChunkInput(0, text, 0, text.length(), null, List.of(), new float[] {1, 0, 0})));
    }

    @Test
    void collectionsAndChunksSurviveARestart() {
        try (LuceneStore store = new LuceneStore(folder, 16, 100)) {
            CollectionInfo c = store.createCollection("t", "docs", "m", 3, VectorType.VECTOR);
            store.replaceDocument("t", c, doc("persistent lighthouse"));
        }
        try (LuceneStore store = new LuceneStore(folder, 16, 100)) {
            CollectionInfo c = store.findCollection("t", "docs").orElseThrow();
            assertThat(store.lexical("t", c, "lighthouse", 5, Filter.NONE)).hasSize(1);
        }
    }

    @Test
    void batchedCommitsAreVisibleAtOnceAndDurableAfterClose() {
        try (LuceneStore store = new LuceneStore(folder, 16, 100, Duration.ofHours(1))) {
            CollectionInfo c = store.createCollection("t", "docs", "m", 3, VectorType.VECTOR);
            store.replaceDocument("t", c, doc("batched harbour"));
            assertThat(store.lexical("t", c, "harbour", 5, Filter.NONE)).hasSize(1);
        }
        try (LuceneStore store = new LuceneStore(folder, 16, 100)) {
            CollectionInfo c = store.findCollection("t", "docs").orElseThrow();
            assertThat(store.dense("t", c, new float[] {1, 0, 0}, 5, Filter.NONE, 10)).hasSize(1);
        }
    }
}
