package dev.sextant.ingestion.parse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.unit.DataSize;

import dev.sextant.ingestion.IngestionProperties;
import dev.sextant.ingestion.support.TestDocuments;
import dev.sextant.support.SextantException;

/** Every supported format, from small files the test writes, down to blocks with structure and offsets. */
class DocumentParserTests {

    @TempDir
    Path dir;

    private final DocumentParser parser = new DocumentParser(properties(5_000_000, 100));

    static IngestionProperties properties(long maxCharacters, int maxPages) {
        return new IngestionProperties(null, new IngestionProperties.Limits(DataSize.ofMegabytes(50), DataSize.ofMegabytes(64), maxPages,
                maxCharacters, 100, 10_000, 100, 10), null, null, null, null);
    }

    private ParsedDocument parse(String name, byte[] bytes) throws IOException {
        return parse(parser, name, bytes);
    }

    private ParsedDocument parse(DocumentParser p, String name, byte[] bytes) throws IOException {
        Path file = dir.resolve("upload-" + System.nanoTime());
        Files.write(file, bytes);
        return p.parse(file, name, p.detect(file, name));
    }

    private static void assertOffsetsPointIntoText(ParsedDocument doc) {
        for (Block block : doc.blocks()) {
            assertThat(doc.text().substring(block.start(), block.end())).isEqualTo(block.text());
        }
    }

    @Test
    void pdfYieldsOneBlockPerPageWithPageNumbers() throws IOException {
        ParsedDocument doc = parse("report.pdf", TestDocuments.pdf(List.of("Alpha page text", "Beta page text")));
        assertThat(doc.mediaType()).isEqualTo(DocumentParser.PDF);
        assertThat(doc.pages()).isEqualTo(2);
        assertThat(doc.blocks()).extracting(Block::text).containsExactly("Alpha page text", "Beta page text");
        assertThat(doc.blocks()).extracting(Block::page).containsExactly(1, 2);
        assertOffsetsPointIntoText(doc);
    }

    @Test
    void docxKeepsHeadingsAsHeadingPathAndTableWhole() throws IOException {
        byte[] docx = TestDocuments.docx("Leave policy", "Staff get 25 days.", "Carry-over", "Up to 5 days carry over.",
                new String[][] {{"Grade", "Days"}, {"A", "25"}});
        ParsedDocument doc = parse("policy.docx", docx);
        assertThat(doc.mediaType()).isEqualTo(DocumentParser.DOCX);
        assertThat(doc.blocks()).extracting(Block::kind).containsExactly(Block.Kind.HEADING, Block.Kind.PARAGRAPH,
                Block.Kind.HEADING, Block.Kind.PARAGRAPH, Block.Kind.TABLE);
        Block carryOver = doc.blocks().get(3);
        assertThat(carryOver.headingPath()).containsExactly("Leave policy", "Carry-over");
        assertThat(doc.blocks().get(4).text()).isEqualTo("Grade | Days\nA | 25");
        assertThat(doc.title()).isEqualTo("Leave policy");
        assertOffsetsPointIntoText(doc);
    }

    @Test
    void pptxYieldsOnePagePerSlide() throws IOException {
        ParsedDocument doc = parse("deck.pptx", TestDocuments.pptx(List.of("First slide says hello", "Second slide says bye")));
        assertThat(doc.mediaType()).isEqualTo(DocumentParser.PPTX);
        assertThat(doc.blocks()).extracting(Block::text).contains("First slide says hello", "Second slide says bye");
        Block second = doc.blocks().stream().filter(b -> b.text().contains("bye")).findFirst().orElseThrow();
        assertThat(second.page()).isEqualTo(2);
        assertOffsetsPointIntoText(doc);
    }

    @Test
    void xlsxYieldsTheSheetAsTable() throws IOException {
        ParsedDocument doc = parse("prices.xlsx", TestDocuments.xlsx("Prices",
                new String[][] {{"Item", "Price"}, {"Widget", "4.50"}, {"Gadget", "9.99"}}));
        assertThat(doc.mediaType()).isEqualTo(DocumentParser.XLSX);
        Block table = doc.blocks().stream().filter(b -> b.kind() == Block.Kind.TABLE).findFirst().orElseThrow();
        assertThat(table.text()).isEqualTo("Item | Price\nWidget | 4.50\nGadget | 9.99");
        assertThat(table.headingPath()).containsExactly("Prices");
        assertThat(table.page()).isEqualTo(1);
        assertOffsetsPointIntoText(doc);
    }

    @Test
    void htmlKeepsHeadingsListItemsAndTables() throws IOException {
        String html = """
                <html><head><title>Handbook</title><script>var x = 1;</script></head><body>
                <h1>Handbook</h1><p>Welcome   to the
                team.</p><h2>Tools</h2><ul><li>Laptop</li><li>Badge</li></ul>
                <table><tr><th>Room</th><th>Floor</th></tr><tr><td>A1</td><td>3</td></tr></table></body></html>""";
        ParsedDocument doc = parse("handbook.html", TestDocuments.utf8(html));
        assertThat(doc.mediaType()).isEqualTo(DocumentParser.HTML);
        assertThat(doc.title()).isEqualTo("Handbook");
        assertThat(doc.blocks()).extracting(Block::kind).containsExactly(Block.Kind.HEADING, Block.Kind.PARAGRAPH,
                Block.Kind.HEADING, Block.Kind.LIST_ITEM, Block.Kind.LIST_ITEM, Block.Kind.TABLE);
        assertThat(doc.blocks().get(1).text()).isEqualTo("Welcome to the team.");
        assertThat(doc.blocks().get(4).headingPath()).containsExactly("Handbook", "Tools");
        assertThat(doc.blocks().get(5).text()).isEqualTo("Room | Floor\nA1 | 3");
        assertThat(doc.text()).doesNotContain("var x");
        assertOffsetsPointIntoText(doc);
    }

    @Test
    void markdownKeepsHeadingsListsAndTables() throws IOException {
        String md = """
                # Setup

                Install the tool.

                ## Steps

                - Download
                - Run

                | Key | Value |
                |-----|-------|
                | a   | 1     |
                """;
        ParsedDocument doc = parse("README.md", TestDocuments.utf8(md));
        assertThat(doc.mediaType()).isEqualTo(DocumentParser.MARKDOWN);
        assertThat(doc.blocks()).extracting(Block::kind).containsExactly(Block.Kind.HEADING, Block.Kind.PARAGRAPH,
                Block.Kind.HEADING, Block.Kind.LIST_ITEM, Block.Kind.LIST_ITEM, Block.Kind.TABLE);
        assertThat(doc.blocks().get(3).headingPath()).containsExactly("Setup", "Steps");
        assertThat(doc.blocks().get(5).text()).isEqualTo("Key | Value\na | 1");
        assertOffsetsPointIntoText(doc);
    }

    @Test
    void plainTextSplitsParagraphsAtBlankLinesWithOffsetsIntoTheOriginal() throws IOException {
        String text = "First paragraph\nstill first.\n\n\nSecond paragraph.\n";
        ParsedDocument doc = parse("notes.txt", TestDocuments.utf8(text));
        assertThat(doc.mediaType()).isEqualTo(DocumentParser.TEXT);
        assertThat(doc.text()).isEqualTo(text);
        assertThat(doc.blocks()).extracting(Block::text).containsExactly("First paragraph\nstill first.", "Second paragraph.");
        assertThat(doc.blocks().get(1).start()).isEqualTo(text.indexOf("Second"));
        assertOffsetsPointIntoText(doc);
    }

    @Test
    void csvBecomesATable() throws IOException {
        ParsedDocument doc = parse("people.csv", TestDocuments.utf8("name,age\nAda,36\nAlan,41\n"));
        assertThat(doc.mediaType()).isEqualTo(DocumentParser.CSV);
        assertThat(doc.blocks()).hasSize(1);
        assertThat(doc.blocks().getFirst().kind()).isEqualTo(Block.Kind.TABLE);
        assertThat(doc.blocks().getFirst().text()).isEqualTo("name | age\nAda | 36\nAlan | 41");
    }

    @Test
    void rejectsUnknownTypeWith415() throws IOException {
        Path file = dir.resolve("blob");
        Files.write(file, new byte[] {0, 1, 2, 3, (byte) 0xff, (byte) 0xfe, 0, 0, 7, 9});
        assertThatThrownBy(() -> parser.detect(file, "data.bin"))
                .isInstanceOfSatisfying(SextantException.class, e -> {
                    assertThat(e.errorCode().status().value()).isEqualTo(415);
                    assertThat(e.getMessage()).contains("application/octet-stream");
                });
    }

    @Test
    void rejectsEncryptedPdfWith422SayingSo() {
        assertThatThrownBy(() -> parse("secret.pdf", TestDocuments.encryptedPdf("classified", "pw")))
                .isInstanceOfSatisfying(SextantException.class, e -> {
                    assertThat(e.errorCode().status().value()).isEqualTo(422);
                    assertThat(e.errorCode().code()).isEqualTo("document-encrypted");
                });
    }

    @Test
    void rejectsPasswordProtectedDocxWith422() {
        byte[] docx = TestDocuments.docx("H", "p", "H2", "p2", new String[][] {{"a"}});
        assertThatThrownBy(() -> parse("secret.docx", TestDocuments.encryptedDocx(docx, "pw")))
                .isInstanceOfSatisfying(SextantException.class, e -> {
                    assertThat(e.errorCode().status().value()).isEqualTo(422);
                    assertThat(e.errorCode().code()).isEqualTo("document-encrypted");
                });
    }

    @Test
    void rejectsCorruptPdfWith422GivingTheReason() {
        byte[] pdf = TestDocuments.pdf(List.of("will be cut"));
        byte[] truncated = java.util.Arrays.copyOf(pdf, 40);
        assertThatThrownBy(() -> parse("broken.pdf", truncated))
                .isInstanceOfSatisfying(SextantException.class, e -> {
                    assertThat(e.errorCode().status().value()).isEqualTo(422);
                    assertThat(e.errorCode().code()).isEqualTo("document-unreadable");
                    assertThat(e.getMessage()).contains("broken.pdf");
                });
    }

    @Test
    void stopsAtThePageLimit() {
        DocumentParser twoPages = new DocumentParser(properties(5_000_000, 2));
        assertThatThrownBy(() -> parse(twoPages, "long.pdf", TestDocuments.pdf(List.of("one", "two", "three"))))
                .isInstanceOfSatisfying(SextantException.class, e -> {
                    assertThat(e.errorCode().status().value()).isEqualTo(413);
                    assertThat(e.properties()).containsEntry("limit", "pages");
                });
    }

    @Test
    void stopsAtTheCharacterLimitInTikaFormatsAndInText() {
        DocumentParser small = new DocumentParser(properties(100, 100));
        assertThatThrownBy(() -> parse(small, "big.html", TestDocuments.utf8("<p>" + "word ".repeat(100) + "</p>")))
                .isInstanceOfSatisfying(SextantException.class, e -> assertThat(e.properties()).containsEntry("limit", "characters"));
        assertThatThrownBy(() -> parse(small, "big.txt", TestDocuments.utf8("word ".repeat(100))))
                .isInstanceOfSatisfying(SextantException.class, e -> assertThat(e.errorCode().status().value()).isEqualTo(413));
    }

    @Test
    void tikaZipBombGuardStopsAHighlyCompressedDocument() {
        // 400,000 characters from a few kilobytes: a compression ratio far above the limit of 100
        byte[] bomb = TestDocuments.repetitiveDocx("aaaaaaaaaa", 40_000);
        assertThat(bomb.length).isLessThan(40_000);
        assertThatThrownBy(() -> parse("bomb.docx", bomb))
                .isInstanceOfSatisfying(SextantException.class, e -> {
                    assertThat(e.errorCode().status().value()).isEqualTo(413);
                    assertThat(e.getMessage()).containsIgnoringCase("zip bomb");
                });
    }
}
