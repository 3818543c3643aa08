package dev.sextant.ingestion.chunk;

import java.util.List;

/**
 * A piece of a document small enough to embed, with what a citation needs to point at it.
 *
 * @param index       0-based position in the document
 * @param text        the document text at [startOffset, endOffset)
 * @param startOffset offset of the first character in the parsed document's text
 * @param endOffset   offset after the last character
 * @param page        1-based page, slide or sheet of the chunk's start; null where the format has no pages
 * @param headingPath the headings the chunk sits under, outermost first
 * @param tokens      length in tokens of the embedding model's tokenizer (without [CLS]/[SEP])
 */
public record Chunk(int index, String text, int startOffset, int endOffset, Integer page, List<String> headingPath,
        int tokens) {

    public Chunk {
        headingPath = List.copyOf(headingPath);
    }
}
