package dev.sextant.inference.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Turns tokens into text as they are generated. A multi-byte UTF-8 character split across tokens is held back
 * until its last byte arrives and then emitted once, whole; bytes that can never form a character come out as
 * U+FFFD. Not thread-safe: one per sequence.
 *
 * <pre>{@code
 * StreamingDecoder d = tokenizer.newStreamingDecoder();
 * for (int id : generated) sse.send(d.push(id));
 * sse.send(d.flush());
 * }</pre>
 */
public final class StreamingDecoder {

    private final Tokenizer tokenizer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    StreamingDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds one token; returns the text that is now complete (possibly empty). */
    public String push(int id) {
        tokenizer.appendPiece(id, pending);
        byte[] bytes = pending.toByteArray();
        int complete = completePrefix(bytes);
        pending.reset();
        pending.write(bytes, complete, bytes.length - complete);
        return new String(bytes, 0, complete, StandardCharsets.UTF_8);
    }

    /** Whatever is held back (an incomplete character at the end of generation), as text. */
    public String flush() {
        String rest = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return rest;
    }

    /** Bytes held back, waiting for the rest of a character. */
    public int pendingBytes() {
        return pending.size();
    }

    /** Length of the longest prefix that does not end inside a character that may still be completed. */
    static int completePrefix(byte[] b) {
        int n = b.length;
        // look back at most 3 bytes for the lead byte of the last sequence
        for (int back = 1; back <= Math.min(3, n); back++) {
            int c = b[n - back] & 0xff;
            if ((c & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for the lead
            }
            int need = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
            if (c >= 0xF5) {
                need = 1;
            }
            return back < need ? n - back : n;
        }
        return n;
    }
}
