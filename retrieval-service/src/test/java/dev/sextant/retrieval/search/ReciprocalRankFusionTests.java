package dev.sextant.retrieval.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sextant.retrieval.store.ScoredChunk;
import dev.sextant.retrieval.store.StoredChunk;

class ReciprocalRankFusionTests {

    private static ScoredChunk hit(String doc, double score) {
        return new ScoredChunk(new StoredChunk(doc, 0, doc, 0, 1, null, List.of(), null, null, 1, Map.of()), score);
    }

    @Test
    void chunkFoundByBothListsOutranksChunksFoundByOne() {
        List<Hit> fused = ReciprocalRankFusion.fuse(List.of(hit("a", 0.9), hit("b", 0.8)), List.of(hit("c", 12), hit("b", 7)), 60, 10);
        assertThat(fused).extracting(h -> h.chunk().documentId()).containsExactly("b", "a", "c");
        assertThat(fused.getFirst().score()).isCloseTo(1.0 / 62 + 1.0 / 62, within(1e-12));
        assertThat(fused.getFirst().denseScore()).isEqualTo(0.8);
        assertThat(fused.getFirst().lexicalScore()).isEqualTo(7.0);
        assertThat(fused.get(1).lexicalScore()).isNull();
    }

    @Test
    void smallerKWeighsTopRanksMore() {
        List<ScoredChunk> dense = List.of(hit("a", 1), hit("x", 1), hit("y", 1), hit("b", 1));
        List<ScoredChunk> lexical = List.of(hit("b", 1), hit("z", 1));
        List<Hit> fused = ReciprocalRankFusion.fuse(dense, lexical, 1, 2);
        assertThat(fused).extracting(h -> h.chunk().documentId()).containsExactly("b", "a");
        assertThat(fused.getFirst().score()).isCloseTo(1.0 / 5 + 1.0 / 2, within(1e-12));
        assertThat(fused).hasSize(2);
    }
}
