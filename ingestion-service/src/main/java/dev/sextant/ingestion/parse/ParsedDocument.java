package dev.sextant.ingestion.parse;

import java.util.List;

/**
 * The text a document yields and its structure: every block's offsets point into {@code text}, so a chunk's
 * offsets can cite the exact place.
 *
 * @param mediaType the detected media type
 * @param title     the title the document carries itself (metadata or first heading); null when none
 * @param pages     number of pages, slides or sheets; 0 where the format has no pages
 */
public record ParsedDocument(String mediaType, String title, String text, List<Block> blocks, int pages) {

    public ParsedDocument {
        blocks = List.copyOf(blocks);
    }
}
