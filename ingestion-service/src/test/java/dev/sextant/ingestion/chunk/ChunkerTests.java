package dev.sextant.ingestion.chunk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sextant.ingestion.parse.Block;
import dev.sextant.ingestion.parse.ParsedDocument;

/** Chunking against the real all-MiniLM-L6-v2 tokenizer. */
class ChunkerTests {

    private static MiniLmTokenCounter tokens;

    @BeforeAll
    static void loadTokenizer() {
        tokens = new MiniLmTokenCounter();
    }

    @AfterAll
    static void closeTokenizer() {
        tokens.close();
    }

    /** Builds a document the way the parser does: blocks joined by blank lines, offsets into the joined text. */
    private static ParsedDocument document(Object... kindsAndTexts) {
        StringBuilder text = new StringBuilder();
        List<Block> blocks = new ArrayList<>();
        List<String> path = new ArrayList<>();
        for (int i = 0; i < kindsAndTexts.length; i += 2) {
            Block.Kind kind = (Block.Kind) kindsAndTexts[i];
            String content = (String) kindsAndTexts[i + 1];
            if (kind == Block.Kind.HEADING) {
                path = List.of(content);
            }
            if (!text.isEmpty()) {
                text.append("\n\n");
            }
            int start = text.length();
            text.append(content);
            blocks.add(new Block(kind, content, 1, path, start, text.length()));
        }
        return new ParsedDocument("text/plain", null, text.toString(), blocks, 1);
    }

    private static void assertWellFormed(ParsedDocument doc, List<Chunk> chunks, int maxTokens) {
        for (int i = 0; i < chunks.size(); i++) {
            Chunk chunk = chunks.get(i);
            assertThat(chunk.index()).isEqualTo(i);
            assertThat(chunk.text()).isEqualTo(doc.text().substring(chunk.startOffset(), chunk.endOffset()));
            assertThat(tokens.count(chunk.text())).as("tokens of chunk %d", i).isLessThanOrEqualTo(maxTokens);
        }
    }

    @Test
    void countsWordPieceTokensOfTheEmbeddingModel() {
        // "unaffable" is three WordPieces in BERT's uncased vocabulary: un ##aff ##able
        assertThat(tokens.count("unaffable")).isEqualTo(3);
        assertThat(tokens.count("Hello, world!")).isEqualTo(4);
        int[] spans = tokens.spans("Hello world");
        assertThat(spans).containsExactly(0, 5, 6, 11);
    }

    @Test
    void packsSmallBlocksOfOneSectionIntoOneChunk() {
        ParsedDocument doc = document(Block.Kind.HEADING, "Leave", Block.Kind.PARAGRAPH, "Staff get 25 days.",
                Block.Kind.LIST_ITEM, "Ask your manager.");
        List<Chunk> chunks = new Chunker(tokens, 50, 5).chunk(doc);
        assertThat(chunks).hasSize(1);
        assertThat(chunks.getFirst().text()).isEqualTo("Leave\n\nStaff get 25 days.\n\nAsk your manager.");
        assertThat(chunks.getFirst().headingPath()).containsExactly("Leave");
        assertThat(chunks.getFirst().page()).isEqualTo(1);
    }

    @Test
    void aHeadingAlwaysOpensANewChunk() {
        ParsedDocument doc = document(Block.Kind.HEADING, "One", Block.Kind.PARAGRAPH, "First section text.",
                Block.Kind.HEADING, "Two", Block.Kind.PARAGRAPH, "Second section text.");
        List<Chunk> chunks = new Chunker(tokens, 100, 10).chunk(doc);
        assertThat(chunks).extracting(Chunk::text).containsExactly("One\n\nFirst section text.", "Two\n\nSecond section text.");
        assertThat(chunks.get(1).headingPath()).containsExactly("Two");
    }

    @Test
    void splitsALongParagraphWithinTheBoundWithOverlap() {
        StringBuilder paragraph = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            paragraph.append("Sentence number ").append(i).append(" talks about topic ").append(i % 7).append(". ");
        }
        ParsedDocument doc = document(Block.Kind.PARAGRAPH, paragraph.toString().trim());
        List<Chunk> chunks = new Chunker(tokens, 64, 8).chunk(doc);
        assertThat(chunks.size()).isGreaterThan(5);
        assertWellFormed(doc, chunks, 64);
        for (int i = 1; i < chunks.size(); i++) {
            assertThat(chunks.get(i).startOffset()).as("chunk %d overlaps the previous", i)
                    .isLessThan(chunks.get(i - 1).endOffset());
        }
        assertThat(chunks.getLast().endOffset()).isEqualTo(doc.text().length());
        // cuts fall at sentence ends when the window has one
        assertThat(chunks.getFirst().text()).endsWith(".");
    }

    @Test
    void closesForSizeAndRepeatsTheLastTokensInTheNextChunk() {
        List<Object> blocks = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            blocks.add(Block.Kind.PARAGRAPH);
            blocks.add("Paragraph " + i + " has a handful of ordinary words in it.");
        }
        ParsedDocument doc = document(blocks.toArray());
        List<Chunk> chunks = new Chunker(tokens, 40, 6).chunk(doc);
        assertThat(chunks.size()).isGreaterThan(2);
        assertWellFormed(doc, chunks, 40);
        assertThat(chunks.get(1).startOffset()).isLessThan(chunks.get(0).endOffset());
        assertThat(tokens.count(doc.text().substring(chunks.get(1).startOffset(), chunks.get(0).endOffset()))).isEqualTo(6);
    }

    @Test
    void keepsATableWholeWhenItFitsAndSplitsALargeOneBetweenRows() {
        String small = "Item | Price\nWidget | 4.50\nGadget | 9.99";
        ParsedDocument doc = document(Block.Kind.PARAGRAPH, "Prices follow.", Block.Kind.TABLE, small);
        List<Chunk> chunks = new Chunker(tokens, 30, 4).chunk(doc);
        assertThat(chunks).anySatisfy(c -> assertThat(c.text()).contains(small));

        StringBuilder big = new StringBuilder("Item | Price");
        for (int i = 0; i < 40; i++) {
            big.append("\nWidget model ").append(i).append(" | ").append(i).append(".99");
        }
        ParsedDocument large = document(Block.Kind.TABLE, big.toString());
        List<Chunk> pieces = new Chunker(tokens, 30, 4).chunk(large);
        assertThat(pieces.size()).isGreaterThan(1);
        assertWellFormed(large, pieces, 30);
        for (Chunk piece : pieces) {
            assertThat(piece.text()).doesNotStartWith("\n").doesNotEndWith("\n");
            assertThat(piece.text().lines()).allSatisfy(line -> assertThat(line).contains(" | "));
        }
    }

    @Test
    void refusesAnOverlapThatLeavesNoRoom() {
        assertThatThrownBy(() -> new Chunker(tokens, 20, 10)).isInstanceOf(IllegalArgumentException.class);
    }
}
