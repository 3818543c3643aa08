package dev.sextant.ingestion.chunk;

import java.util.ArrayList;
import java.util.List;

import dev.sextant.ingestion.parse.Block;
import dev.sextant.ingestion.parse.ParsedDocument;

/**
 * Packs a document's blocks into chunks of at most {@code maxTokens} tokens. A heading always opens a new chunk
 * (chunks never straddle sections); consecutive paragraphs, list items and tables share a chunk while they fit;
 * a table that fits is never split; a block too long for one chunk is cut at sentence ends where possible (a
 * table between rows). When a chunk closes for size, the next one repeats the last {@code overlapTokens} tokens
 * so that a sentence cut at the border is whole in one of them. A chunk's text is always the document text
 * between its offsets.
 *
 * <pre>{@code
 * List<Chunk> chunks = new Chunker(tokens, 200, 32).chunk(parsedDocument);
 * }</pre>
 */
public final class Chunker {

    private final TokenCounter tokens;
    private final int maxTokens;
    private final int overlapTokens;

    public Chunker(TokenCounter tokens, int maxTokens, int overlapTokens) {
        if (maxTokens < 8 || overlapTokens < 0 || overlapTokens >= maxTokens / 2) {
            throw new IllegalArgumentException("need maxTokens >= 8 and 0 <= overlapTokens < maxTokens / 2, got "
                    + maxTokens + " and " + overlapTokens);
        }
        this.tokens = tokens;
        this.maxTokens = maxTokens;
        this.overlapTokens = overlapTokens;
    }

    public List<Chunk> chunk(ParsedDocument document) {
        return new Run(document.text()).chunk(document.blocks());
    }

    /** The state of one document's chunking. */
    private final class Run {

        private final String text;
        private final List<Chunk> chunks = new ArrayList<>();
        private int start = -1;
        private int end;
        private int count;
        private Block first;

        Run(String text) {
            this.text = text;
        }

        List<Chunk> chunk(List<Block> blocks) {
            for (Block block : blocks) {
                int blockTokens = tokens.count(block.text());
                if (block.kind() == Block.Kind.HEADING) {
                    close(false);
                }
                if (blockTokens > maxTokens) {
                    close(false);
                    split(block);
                    continue;
                }
                if (start >= 0 && count + blockTokens > maxTokens) {
                    close(true);
                    if (start >= 0 && count + blockTokens > maxTokens) {
                        start = -1; // the overlap does not leave room: start afresh
                    }
                }
                if (start < 0) {
                    open(block, block.start(), 0);
                }
                end = block.end();
                count += blockTokens;
            }
            close(false);
            return chunks;
        }

        private void open(Block block, int from, int tokensSoFar) {
            first = block;
            start = from;
            count = tokensSoFar;
        }

        /** Emits the open chunk; with {@code overlap}, opens the next one on the chunk's last tokens. */
        private void close(boolean overlap) {
            if (start < 0) {
                return;
            }
            emit(start, end, first, count);
            start = -1;
            if (overlap && overlapTokens > 0) {
                int[] spans = tokens.spans(text.substring(chunks.getLast().startOffset(), end));
                int n = spans.length / 2;
                if (n > overlapTokens) {
                    Chunk last = chunks.getLast();
                    open(first, last.startOffset() + spans[2 * (n - overlapTokens)], overlapTokens);
                }
            }
        }

        private void emit(int from, int to, Block block, int tokenCount) {
            chunks.add(new Chunk(chunks.size(), text.substring(from, to), from, to, block.page(), block.headingPath(),
                    tokenCount));
        }

        private void split(Block block) {
            if (block.kind() == Block.Kind.TABLE) {
                splitTable(block);
            } else {
                splitWindows(block, block.start(), block.end(), overlapTokens);
            }
        }

        /** Whole rows per chunk while they fit; a row too long on its own is cut in token windows. */
        private void splitTable(Block table) {
            int rowStart = table.start();
            int pieceStart = -1;
            int pieceEnd = 0;
            int pieceTokens = 0;
            while (rowStart < table.end()) {
                int newline = text.indexOf('\n', rowStart);
                int rowEnd = newline < 0 || newline > table.end() ? table.end() : newline;
                int rowTokens = tokens.count(text.substring(rowStart, rowEnd));
                if (pieceStart >= 0 && pieceTokens + rowTokens > maxTokens) {
                    emit(pieceStart, pieceEnd, table, pieceTokens);
                    pieceStart = -1;
                }
                if (rowTokens > maxTokens) {
                    splitWindows(table, rowStart, rowEnd, 0);
                } else {
                    if (pieceStart < 0) {
                        pieceStart = rowStart;
                        pieceTokens = 0;
                    }
                    pieceEnd = rowEnd;
                    pieceTokens += rowTokens;
                }
                rowStart = rowEnd + 1;
            }
            if (pieceStart >= 0) {
                emit(pieceStart, pieceEnd, table, pieceTokens);
            }
        }

        /** Windows of at most maxTokens tokens over [from, to), ending at a sentence end in the window's second half when there is one. */
        private void splitWindows(Block block, int from, int to, int overlap) {
            String part = text.substring(from, to);
            int[] spans = tokens.spans(part);
            int n = spans.length / 2;
            int i = 0;
            while (i < n) {
                int last = Math.min(i + maxTokens, n) - 1;
                if (last < n - 1) {
                    for (int j = last; j >= i + maxTokens / 2; j--) {
                        char c = part.charAt(spans[2 * j + 1] - 1);
                        if (spans[2 * j + 1] - spans[2 * j] == 1 && (c == '.' || c == '!' || c == '?' || c == ';')) {
                            last = j;
                            break;
                        }
                    }
                }
                emit(from + spans[2 * i], from + spans[2 * last + 1], block, last - i + 1);
                if (last == n - 1) {
                    break;
                }
                i = Math.max(i + 1, last + 1 - overlap);
            }
        }
    }
}
