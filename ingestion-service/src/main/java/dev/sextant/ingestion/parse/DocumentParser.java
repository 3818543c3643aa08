package dev.sextant.ingestion.parse;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.tika.config.TikaConfig;
import org.apache.tika.detect.AutoDetectReader;
import org.apache.tika.detect.Detector;
import org.apache.tika.exception.EncryptedDocumentException;
import org.apache.tika.exception.TikaException;
import org.apache.tika.exception.ZeroByteFileException;
import org.apache.tika.io.TikaInputStream;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.metadata.TikaCoreProperties;
import org.apache.tika.mime.MediaType;
import org.apache.tika.parser.AutoDetectParser;
import org.apache.tika.parser.AutoDetectParserConfig;
import org.apache.tika.parser.ParseContext;
import org.apache.tika.parser.ocr.TesseractOCRConfig;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.springframework.stereotype.Component;
import org.xml.sax.SAXException;

import dev.sextant.ingestion.IngestionErrors;
import dev.sextant.ingestion.IngestionProperties;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;

/**
 * Detects a document's type and turns it into text plus structure. PDF, DOCX, PPTX, XLSX and HTML go
 * through Apache Tika (its zip-bomb guard, nesting guard and our character and page limits apply); Markdown is
 * rendered to HTML by commonmark first so that its headings, lists and tables keep their structure; plain text
 * is split into paragraphs at blank lines with offsets into the text as uploaded; CSV (commons-csv, which Tika
 * uses too) becomes one table.
 *
 * <pre>{@code
 * ParsedDocument doc = parser.parse(spooledFile, "report.pdf");
 * }</pre>
 */
@Component
public class DocumentParser {

    public static final String PDF = "application/pdf";
    public static final String DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    public static final String PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation";
    public static final String XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    public static final String HTML = "text/html";
    public static final String MARKDOWN = "text/markdown";
    public static final String TEXT = "text/plain";
    public static final String CSV = "text/csv";

    private static final Map<String, String> ALIASES = Map.of(
            "application/xhtml+xml", HTML,
            "text/x-web-markdown", MARKDOWN,
            "text/x-markdown", MARKDOWN);
    private static final Set<String> TIKA_TYPES = Set.of(PDF, DOCX, PPTX, XLSX, HTML);
    /** Tika's type for an OOXML file wrapped in Office encryption. */
    private static final String OOXML_PROTECTED = "application/x-tika-ooxml-protected";
    private static final Pattern PARAGRAPH_BREAK = Pattern.compile("\\R[ \\t]*\\R\\s*");

    private final IngestionProperties.Limits limits;
    private final Detector detector;
    private final AutoDetectParser tika;
    private final Parser markdown = Parser.builder().extensions(List.of(TablesExtension.create())).build();
    private final HtmlRenderer html = HtmlRenderer.builder().extensions(List.of(TablesExtension.create())).build();

    public DocumentParser(IngestionProperties properties) {
        this.limits = properties.limits();
        TikaConfig config = TikaConfig.getDefaultConfig();
        this.detector = config.getDetector();
        this.tika = new AutoDetectParser(config);
        tika.setAutoDetectParserConfig(new AutoDetectParserConfig(null, limits.outputThreshold(),
                limits.maxCompressionRatio(), limits.maxDepth(), limits.maxPackageEntryDepth()));
    }

    /** The media type of a spooled upload, from its bytes and its name; 415 unless it is a supported format. */
    public String detect(Path file, String fileName) {
        Metadata metadata = new Metadata();
        if (fileName != null) {
            metadata.set(TikaCoreProperties.RESOURCE_NAME_KEY, fileName);
        }
        String type;
        try (TikaInputStream in = TikaInputStream.get(file)) {
            type = detector.detect(in, metadata).getBaseType().toString();
        } catch (IOException e) {
            throw new SextantException(IngestionErrors.DOCUMENT_UNREADABLE, "file", "Cannot read the upload: " + e.getMessage());
        }
        type = ALIASES.getOrDefault(type, type);
        if (OOXML_PROTECTED.equals(type)) {
            throw new SextantException(IngestionErrors.DOCUMENT_ENCRYPTED, "file",
                    "'" + fileName + "' is a password-protected Office document; upload it without the password");
        }
        if (!TIKA_TYPES.contains(type) && !TEXT.equals(type) && !MARKDOWN.equals(type) && !CSV.equals(type)) {
            throw new SextantException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "file", "'" + fileName + "' is " + type
                    + "; supported are PDF, DOCX, PPTX, XLSX, HTML, Markdown, plain text and CSV");
        }
        return type;
    }

    /** Parses a spooled upload of a type {@link #detect} accepted. */
    public ParsedDocument parse(Path file, String fileName, String mediaType) {
        try {
            if (TEXT.equals(mediaType) || MARKDOWN.equals(mediaType)) {
                String text;
                try (InputStream in = Files.newInputStream(file); Reader reader = new AutoDetectReader(in)) {
                    text = readLimited(reader);
                }
                return parseText(text, mediaType);
            }
            if (CSV.equals(mediaType)) {
                try (InputStream in = Files.newInputStream(file); Reader reader = new AutoDetectReader(in)) {
                    return csv(reader);
                }
            }
            Metadata metadata = new Metadata();
            metadata.set(TikaCoreProperties.RESOURCE_NAME_KEY, fileName);
            metadata.set(Metadata.CONTENT_TYPE, mediaType);
            try (TikaInputStream in = TikaInputStream.get(file)) {
                return runTika(in, metadata, mediaType);
            }
        } catch (IOException | TikaException e) {
            throw unreadable(fileName, e);
        }
    }

    /** Parses text given inline: plain text, or Markdown whose structure is kept. */
    public ParsedDocument parseText(String text, String mediaType) {
        if (text.length() > limits.maxCharacters()) {
            throw tooLarge("characters", "The text passes the limit of " + limits.maxCharacters() + " characters");
        }
        if (MARKDOWN.equals(mediaType)) {
            byte[] rendered = ("<html><body>" + html.render(markdown.parse(text)) + "</body></html>")
                    .getBytes(StandardCharsets.UTF_8);
            Metadata metadata = new Metadata();
            metadata.set(Metadata.CONTENT_TYPE, "text/html; charset=UTF-8");
            try (TikaInputStream in = TikaInputStream.get(rendered)) {
                ParsedDocument parsed = runTika(in, metadata, MARKDOWN);
                return parsed;
            } catch (IOException | TikaException e) {
                throw unreadable("text", e);
            }
        }
        return paragraphs(text);
    }

    private ParsedDocument runTika(TikaInputStream in, Metadata metadata, String mediaType) throws IOException, TikaException {
        StructureHandler handler = new StructureHandler(limits.maxCharacters(), limits.maxPages());
        ParseContext context = new ParseContext();
        TesseractOCRConfig noOcr = new TesseractOCRConfig();
        noOcr.setSkipOcr(true);
        context.set(TesseractOCRConfig.class, noOcr);
        try {
            tika.parse(in, handler, metadata, context);
        } catch (SAXException e) {
            throw limitOrUnreadable(e);
        } catch (EncryptedDocumentException e) {
            throw new SextantException(IngestionErrors.DOCUMENT_ENCRYPTED, "file",
                    "The document is encrypted: " + e.getMessage(), Map.of(), e);
        } catch (TikaException e) {
            LimitExceededException limit = causeOf(e, LimitExceededException.class);
            if (limit != null) {
                throw tooLarge(limit.limit(), limit.getMessage());
            }
            if (causeOf(e, EncryptedDocumentException.class) != null
                    || causeOf(e, org.apache.poi.EncryptedDocumentException.class) != null) {
                throw new SextantException(IngestionErrors.DOCUMENT_ENCRYPTED, "file", "The document is encrypted: "
                        + e.getMessage(), Map.of(), e);
            }
            throw e;
        }
        String nPages = metadata.get("xmpTPg:NPages");
        int pages = Math.max(handler.pages(), nPages == null ? 0 : parseIntOrZero(nPages));
        if (pages > limits.maxPages()) {
            throw tooLarge("pages", "The document has " + pages + " pages; the limit is " + limits.maxPages());
        }
        String title = metadata.get(TikaCoreProperties.TITLE);
        if (title == null || title.isBlank()) {
            title = handler.blocks().stream().filter(b -> b.kind() == Block.Kind.HEADING).map(Block::text)
                    .findFirst().orElse(null);
        }
        return new ParsedDocument(mediaType, title, handler.text(), handler.blocks(), pages);
    }

    /** A CSV file is one table: a row per line, " | " between cells, like the tables Tika reports. */
    private ParsedDocument csv(Reader reader) throws IOException {
        StringBuilder table = new StringBuilder();
        try (CSVParser rows = CSVFormat.DEFAULT.parse(reader)) {
            for (CSVRecord row : rows) {
                String line = StructureHandler.normalise(String.join(" | ", row.toList()));
                if (line.replace("|", "").isBlank()) {
                    continue;
                }
                if (!table.isEmpty()) {
                    table.append('\n');
                }
                table.append(line);
                if (table.length() > limits.maxCharacters()) {
                    throw tooLarge("characters", "The table passes the limit of " + limits.maxCharacters() + " characters");
                }
            }
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        String text = table.toString();
        List<Block> blocks = text.isEmpty() ? List.of()
                : List.of(new Block(Block.Kind.TABLE, text, null, List.of(), 0, text.length()));
        return new ParsedDocument(CSV, null, text, blocks, 0);
    }

    private ParsedDocument paragraphs(String text) {
        List<Block> blocks = new ArrayList<>();
        Matcher breaks = PARAGRAPH_BREAK.matcher(text);
        int from = 0;
        while (from < text.length()) {
            int to = breaks.find(from) ? breaks.start() : text.length();
            int next = to == text.length() ? to : breaks.end();
            addTrimmed(blocks, text, from, to);
            from = next;
        }
        return new ParsedDocument(TEXT, null, text, blocks, 0);
    }

    private static void addTrimmed(List<Block> blocks, String text, int start, int end) {
        while (start < end && Character.isWhitespace(text.charAt(start))) {
            start++;
        }
        while (end > start && Character.isWhitespace(text.charAt(end - 1))) {
            end--;
        }
        if (start < end) {
            blocks.add(new Block(Block.Kind.PARAGRAPH, text.substring(start, end), null, List.of(), start, end));
        }
    }

    private String readLimited(Reader reader) throws IOException {
        StringBuilder out = new StringBuilder();
        char[] buffer = new char[8192];
        for (int n; (n = reader.read(buffer)) > 0; ) {
            out.append(buffer, 0, n);
            if (out.length() > limits.maxCharacters()) {
                throw tooLarge("characters", "The text passes the limit of " + limits.maxCharacters() + " characters");
            }
        }
        return out.toString();
    }

    private SextantException limitOrUnreadable(SAXException e) {
        LimitExceededException limit = causeOf(e, LimitExceededException.class);
        if (limit != null) {
            return tooLarge(limit.limit(), limit.getMessage());
        }
        return unreadable("file", e);
    }

    private static SextantException unreadable(String fileName, Exception e) {
        if (e instanceof ZeroByteFileException) {
            return new SextantException(IngestionErrors.DOCUMENT_UNREADABLE, "file", "'" + fileName + "' is empty");
        }
        String reason = e.getMessage();
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                reason = reason + ": " + t.getMessage();
                break;
            }
        }
        if (reason != null && reason.toLowerCase(java.util.Locale.ROOT).contains("zip bomb")) {
            return tooLarge("compression-ratio", reason);
        }
        return new SextantException(IngestionErrors.DOCUMENT_UNREADABLE, "file",
                "'" + fileName + "' cannot be parsed: " + reason, Map.of(), e);
    }

    private static SextantException tooLarge(String limit, String detail) {
        return new SextantException(IngestionErrors.DOCUMENT_TOO_LARGE, "file", detail, Map.of("limit", limit), null);
    }

    private static <T extends Throwable> T causeOf(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static int parseIntOrZero(String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** For callers that name a media type for inline text (JSON uploads). */
    public static String inlineType(String declared) {
        if (declared == null || declared.isBlank()) {
            return TEXT;
        }
        String type = MediaType.parse(declared) == null ? declared : MediaType.parse(declared).getBaseType().toString();
        type = ALIASES.getOrDefault(type, type);
        if (!TEXT.equals(type) && !MARKDOWN.equals(type)) {
            throw new SextantException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "mediaType",
                    "Inline text may be text/plain or text/markdown, not " + declared);
        }
        return type;
    }
}
