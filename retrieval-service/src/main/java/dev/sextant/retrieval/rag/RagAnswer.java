package dev.sextant.retrieval.rag;

import java.util.List;

/**
 * A RAG answer: {@code grounded} is true when at least one citation was verified; {@code citations} holds only
 * verified ones, {@code rejectedCitations} the others with the reason; {@code sources} the passages retrieved.
 */
public record RagAnswer(String answer, boolean grounded, List<Citation> citations, List<Rejected> rejectedCitations,
        List<Source> sources, String model) {

    public record Citation(int passageId, String documentId, String quote) {
    }

    public record Rejected(int passageId, String quote, String reason) {
    }

    public record Source(int passageId, String documentId, String title, String uri, int chunkIndex, int startOffset,
            int endOffset, Integer page, double score, Double denseScore, Double lexicalScore, String text) {
    }
}
