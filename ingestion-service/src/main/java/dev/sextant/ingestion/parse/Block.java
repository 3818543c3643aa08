package dev.sextant.ingestion.parse;

import java.util.List;

/**
 * One structural unit of a parsed document: a heading, a paragraph, a list item or a whole table.
 *
 * @param kind        what the unit is; tables are kept whole by the chunker where they fit
 * @param text        the unit's text exactly as it appears in {@link ParsedDocument#text()} at [start, end)
 * @param page        1-based page (PDF page, slide, sheet); null where the format has no pages
 * @param headingPath the headings above this unit, outermost first (a heading's own path ends with itself)
 * @param start       offset of the first character in the document text
 * @param end         offset after the last character in the document text
 */
public record Block(Kind kind, String text, Integer page, List<String> headingPath, int start, int end) {

    public enum Kind { HEADING, PARAGRAPH, LIST_ITEM, TABLE }

    public Block {
        headingPath = List.copyOf(headingPath);
    }
}
