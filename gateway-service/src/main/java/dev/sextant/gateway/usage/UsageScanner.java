package dev.sextant.gateway.usage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.springframework.core.io.buffer.DataBuffer;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Finds the token count a response reports in OpenAI's {@code usage} object while the bytes pass through,
 * without holding the response: an SSE stream is split into lines and only {@code data:} lines that mention
 * {@code "usage"} are parsed; a JSON body keeps at most its last {@value #JSON_TAIL} bytes once it passes
 * {@value #JSON_WHOLE} (OpenAI-shaped bodies put {@code usage} last). The last count seen wins, so streams
 * that repeat a running total are not counted twice.
 *
 * <pre>{@code
 * UsageScanner scanner = UsageScanner.forSse();
 * chunks.forEach(scanner::accept);
 * Long tokens = scanner.tokens(); // usage.total_tokens of the last chunk that had one
 * }</pre>
 */
public final class UsageScanner {

    static final int JSON_WHOLE = 64 * 1024;
    static final int JSON_TAIL = 16 * 1024;
    private static final int MAX_LINE = 256 * 1024;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final boolean sse;
    private byte[] bytes = new byte[512];
    private int length;
    private boolean lineTooLong;
    private Long tokens;

    private UsageScanner(boolean sse) {
        this.sse = sse;
    }

    public static UsageScanner forSse() {
        return new UsageScanner(true);
    }

    public static UsageScanner forJson() {
        return new UsageScanner(false);
    }

    /** Looks at the buffer's readable bytes without consuming them. */
    public void accept(DataBuffer buffer) {
        try (DataBuffer.ByteBufferIterator it = buffer.readableByteBuffers()) {
            while (it.hasNext()) {
                ByteBuffer chunk = it.next();
                if (sse) {
                    scanLines(chunk);
                }
                else {
                    appendJson(chunk);
                }
            }
        }
    }

    /** The token count reported, or null when the response reported none. */
    public Long tokens() {
        if (!sse && length > 0) {
            Long found = tokensIn(new String(bytes, 0, length, StandardCharsets.UTF_8));
            length = 0;
            if (found != null) {
                tokens = found;
            }
        }
        return tokens;
    }

    private void scanLines(ByteBuffer chunk) {
        for (int i = chunk.position(); i < chunk.limit(); i++) {
            byte b = chunk.get(i);
            if (b == '\n') {
                if (!lineTooLong) {
                    endLine();
                }
                length = 0;
                lineTooLong = false;
            }
            else if (length < MAX_LINE) {
                ensure(length + 1);
                bytes[length++] = b;
            }
            else {
                lineTooLong = true;
            }
        }
    }

    private void endLine() {
        int end = length > 0 && bytes[length - 1] == '\r' ? length - 1 : length;
        if (end > 5 && bytes[0] == 'd' && bytes[1] == 'a' && bytes[2] == 't' && bytes[3] == 'a' && bytes[4] == ':') {
            String data = new String(bytes, 5, end - 5, StandardCharsets.UTF_8);
            if (data.contains("\"usage\"")) {
                Long found = tokensIn(data);
                if (found != null) {
                    tokens = found;
                }
            }
        }
    }

    private void appendJson(ByteBuffer chunk) {
        int n = chunk.remaining();
        ensure(length + n);
        chunk.duplicate().get(bytes, length, n);
        length += n;
        if (length > JSON_WHOLE) {
            System.arraycopy(bytes, length - JSON_TAIL, bytes, 0, JSON_TAIL);
            length = JSON_TAIL;
        }
    }

    private void ensure(int capacity) {
        if (capacity > bytes.length) {
            byte[] grown = new byte[Math.max(capacity, bytes.length * 2)];
            System.arraycopy(bytes, 0, grown, 0, length);
            bytes = grown;
        }
    }

    /**
     * The {@code total_tokens} (else prompt + completion tokens) of the last {@code "usage": {...}} object in a
     * JSON text or fragment; null when there is none or it is null.
     */
    static Long tokensIn(String json) {
        int key = json.lastIndexOf("\"usage\"");
        while (key >= 0) {
            int i = key + 7;
            while (i < json.length() && Character.isWhitespace(json.charAt(i))) {
                i++;
            }
            if (i < json.length() && json.charAt(i) == ':') {
                i++;
                while (i < json.length() && Character.isWhitespace(json.charAt(i))) {
                    i++;
                }
                int end = i < json.length() && json.charAt(i) == '{' ? objectEnd(json, i) : -1;
                if (end < 0) {
                    return null;
                }
                try {
                    return count(JSON.readTree(json.substring(i, end + 1)));
                }
                catch (RuntimeException malformed) {
                    return null;
                }
            }
            key = json.lastIndexOf("\"usage\"", key - 1);
        }
        return null;
    }

    private static Long count(JsonNode usage) {
        if (usage.path("total_tokens").isNumber()) {
            return usage.path("total_tokens").asLong();
        }
        JsonNode prompt = usage.path("prompt_tokens");
        JsonNode completion = usage.path("completion_tokens");
        if (prompt.isNumber() || completion.isNumber()) {
            return prompt.asLong(0) + completion.asLong(0);
        }
        return null;
    }

    /** Index of the brace closing the object that opens at {@code start}, skipping strings; -1 if cut off. */
    private static int objectEnd(String json, int start) {
        int depth = 0;
        boolean inString = false;
        for (int i = start; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                }
                else if (c == '"') {
                    inString = false;
                }
            }
            else if (c == '"') {
                inString = true;
            }
            else if (c == '{') {
                depth++;
            }
            else if (c == '}' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }
}
