package dev.sextant.ingestion.parse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.xml.sax.Attributes;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Turns Tika's XHTML SAX events into {@link Block}s: h1-h6 become headings (and the heading path), p/div/pre
 * paragraphs, li list items, a table one block with a row per line and " | " between cells. Tika marks pages
 * with {@code <div class="page">} (PDF pages), sheets with {@code <div class="sheet">} and slides with {@code <div class="slide-content">}.
 * Stops the parse with {@link LimitExceededException} once the text or the page count passes its limit.
 */
final class StructureHandler extends DefaultHandler {

    private static final Set<String> SKIPPED = Set.of("head", "script", "style", "title");
    private static final Set<String> PARAGRAPHS = Set.of("p", "div", "pre", "blockquote", "dd", "dt", "section", "article", "body");
    private static final String SEPARATOR = "\n\n";

    private final long maxCharacters;
    private final int maxPages;
    private final StringBuilder text = new StringBuilder();
    private final List<Block> blocks = new ArrayList<>();
    private final String[] headings = new String[6];
    private final StringBuilder current = new StringBuilder();
    private Block.Kind kind = Block.Kind.PARAGRAPH;
    private int headingLevel;
    private int skipDepth;
    private int tableDepth;
    private boolean cellOpen;
    private int pages;
    private long characters;

    StructureHandler(long maxCharacters, int maxPages) {
        this.maxCharacters = maxCharacters;
        this.maxPages = maxPages;
    }

    @Override
    public void startElement(String uri, String localName, String qName, Attributes attributes) throws SAXException {
        String name = name(localName, qName);
        if (SKIPPED.contains(name)) {
            skipDepth++;
            return;
        }
        if (tableDepth > 0) {
            switch (name) {
                case "table" -> tableDepth++;
                case "td", "th" -> {
                    if (cellOpen) {
                        current.append(" | ");
                    }
                    cellOpen = true;
                }
                case "br", "p", "li", "div" -> current.append(' ');
                default -> { }
            }
            return;
        }
        if ("div".equals(name)) {
            String cssClass = attributes.getValue("class");
            if ("page".equals(cssClass) || "slide-content".equals(cssClass) || "sheet".equals(cssClass)) {
                flush();
                pages++;
                if (pages > maxPages) {
                    throw new LimitExceededException("pages", "The document has more than " + maxPages + " pages");
                }
                return;
            }
        }
        switch (name) {
            case "table" -> {
                flush();
                tableDepth = 1;
                kind = Block.Kind.TABLE;
            }
            case "h1", "h2", "h3", "h4", "h5", "h6" -> {
                flush();
                kind = Block.Kind.HEADING;
                headingLevel = name.charAt(1) - '0';
            }
            case "li" -> {
                flush();
                kind = Block.Kind.LIST_ITEM;
            }
            case "br" -> current.append('\n');
            default -> {
                if (PARAGRAPHS.contains(name)) {
                    flush();
                }
            }
        }
    }

    @Override
    public void endElement(String uri, String localName, String qName) throws SAXException {
        String name = name(localName, qName);
        if (SKIPPED.contains(name)) {
            skipDepth--;
            return;
        }
        if (tableDepth > 0) {
            switch (name) {
                case "tr" -> {
                    current.append('\n');
                    cellOpen = false;
                }
                case "table" -> {
                    tableDepth--;
                    if (tableDepth == 0) {
                        flush();
                    }
                }
                default -> { }
            }
            return;
        }
        if (name.length() == 2 && name.charAt(0) == 'h' && Character.isDigit(name.charAt(1))
                || "li".equals(name) || PARAGRAPHS.contains(name)) {
            flush();
        }
    }

    @Override
    public void characters(char[] ch, int start, int length) throws SAXException {
        if (skipDepth > 0) {
            return;
        }
        characters += length;
        if (characters > maxCharacters) {
            throw new LimitExceededException("characters",
                    "The document's extracted text passes the limit of " + maxCharacters + " characters");
        }
        if (tableDepth > 0) {
            // only the end of a row breaks a line inside a table
            for (int i = start; i < start + length; i++) {
                current.append(ch[i] == '\n' || ch[i] == '\r' ? ' ' : ch[i]);
            }
        } else {
            current.append(ch, start, length);
        }
    }

    @Override
    public void endDocument() {
        flush();
    }

    List<Block> blocks() {
        return blocks;
    }

    String text() {
        return text.toString();
    }

    int pages() {
        return pages;
    }

    private void flush() {
        String content = kind == Block.Kind.TABLE ? normaliseTable(current) : normalise(current);
        current.setLength(0);
        cellOpen = false;
        Block.Kind flushed = kind;
        kind = Block.Kind.PARAGRAPH;
        if (content.isEmpty()) {
            return;
        }
        if (flushed == Block.Kind.HEADING) {
            headings[headingLevel - 1] = content;
            Arrays.fill(headings, headingLevel, headings.length, null);
        }
        if (!text.isEmpty()) {
            text.append(SEPARATOR);
        }
        int start = text.length();
        text.append(content);
        blocks.add(new Block(flushed, content, pages == 0 ? null : pages, headingPath(), start, text.length()));
    }

    private List<String> headingPath() {
        List<String> path = new ArrayList<>(headings.length);
        for (String heading : headings) {
            if (heading != null) {
                path.add(heading);
            }
        }
        return path;
    }

    /** Collapses runs of white space (Tika keeps source line breaks inside paragraphs) to one space. */
    static String normalise(CharSequence raw) {
        StringBuilder out = new StringBuilder(raw.length());
        boolean space = false;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (Character.isWhitespace(c) || c == '\u00a0') {
                space = !out.isEmpty();
            } else {
                if (space) {
                    out.append(' ');
                    space = false;
                }
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String normaliseTable(CharSequence raw) {
        StringBuilder out = new StringBuilder(raw.length());
        for (String line : raw.toString().split("\n")) {
            String row = normalise(line);
            if (!row.isEmpty() && !row.replace("|", "").isBlank()) {
                if (!out.isEmpty()) {
                    out.append('\n');
                }
                out.append(row);
            }
        }
        return out.toString();
    }

    private static String name(String localName, String qName) {
        String name = localName == null || localName.isEmpty() ? qName : localName;
        return name.toLowerCase(Locale.ROOT);
    }
}
