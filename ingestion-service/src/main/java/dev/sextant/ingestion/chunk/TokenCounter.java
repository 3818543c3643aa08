package dev.sextant.ingestion.chunk;

/** Counts tokens the way the embedding model will, and says where each token sits in the text. */
public interface TokenCounter {

    /**
     * The character span of every token of {@code text}, without special tokens: {@code spans[2 * i]} is the start
     * of token i, {@code spans[2 * i + 1]} its end.
     */
    int[] spans(String text);

    default int count(String text) {
        return spans(text).length / 2;
    }
}
