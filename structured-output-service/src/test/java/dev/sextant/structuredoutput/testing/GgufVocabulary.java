package dev.sextant.structuredoutput.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.sextant.constraint.Vocabulary;

/**
 * Test-only: the vocabulary of a GGUF file (tokens, token types, model kind, EOS id), as the bytes each token
 * emits: SentencePiece '▁' becomes a space and {@code <0xNN>} the byte NN; byte-level BPE symbols map back to
 * bytes; control tokens emit nothing. The production tokenizer lives in inference-service.
 */
public final class GgufVocabulary {

    public static Path shared() {
        String dir = System.getenv("SEXTANT_SHARED_DIR");
        if (dir == null) {
            dir = "../../shared";
        }
        return Path.of(dir);
    }

    /** Loads a vocabulary from SEXTANT_SHARED_DIR; fails naming the missing file. */
    public static Vocabulary load(String relative) {
        Path p = shared().resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException("missing " + p.toAbsolutePath() + " (set SEXTANT_SHARED_DIR to the shared data folder)");
        }
        try {
            return read(p);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + p, e);
        }
    }

    public static Vocabulary read(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(ch.size(), Integer.MAX_VALUE)).order(ByteOrder.LITTLE_ENDIAN);
            if (b.getInt() != 0x46554747) {
                throw new IOException("not a GGUF file: " + path);
            }
            b.getInt(); // version
            b.getLong(); // tensors
            long kvs = b.getLong();
            Map<String, Object> meta = new HashMap<>();
            for (long i = 0; i < kvs; i++) {
                String key = str(b);
                int type = b.getInt();
                meta.put(key, value(b, type, key.equals("tokenizer.ggml.tokens") || key.equals("tokenizer.ggml.token_type")));
            }
            @SuppressWarnings("unchecked")
            List<Object> tokens = (List<Object>) meta.get("tokenizer.ggml.tokens");
            @SuppressWarnings("unchecked")
            List<Object> types = (List<Object>) meta.getOrDefault("tokenizer.ggml.token_type", List.of());
            String model = String.valueOf(meta.get("tokenizer.ggml.model"));
            int eos = ((Number) meta.getOrDefault("tokenizer.ggml.eos_token_id", 2L)).intValue();
            byte[][] bytes = new byte[tokens.size()][];
            int[] byteDecoder = gpt2ByteDecoder();
            for (int t = 0; t < tokens.size(); t++) {
                String text = (String) tokens.get(t);
                int type = t < types.size() ? ((Number) types.get(t)).intValue() : 1;
                if (type == 3 || type == 2 || type == 5) {
                    bytes[t] = new byte[0];
                } else if (type == 6 && text.matches("<0x[0-9A-Fa-f]{2}>")) {
                    bytes[t] = new byte[] {(byte) Integer.parseInt(text.substring(3, 5), 16)};
                } else if (model.equals("gpt2")) {
                    byte[] out = new byte[text.length()];
                    int n = 0;
                    boolean ok = true;
                    for (int i = 0; i < text.length(); i++) {
                        int c = text.charAt(i);
                        if (c >= byteDecoder.length || byteDecoder[c] < 0) {
                            ok = false;
                            break;
                        }
                        out[n++] = (byte) byteDecoder[c];
                    }
                    bytes[t] = ok ? java.util.Arrays.copyOf(out, n) : text.getBytes(StandardCharsets.UTF_8);
                } else {
                    bytes[t] = text.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
                }
            }
            if (eos >= 0 && eos < bytes.length) {
                bytes[eos] = new byte[0];
            }
            return new Vocabulary(bytes, new int[] {eos});
        }
    }

    private static int[] gpt2ByteDecoder() {
        int[] dec = new int[512];
        java.util.Arrays.fill(dec, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            if (printable) {
                dec[b] = b;
            } else {
                dec[256 + n++] = b;
            }
        }
        return dec;
    }

    private static String str(ByteBuffer b) {
        int len = (int) b.getLong();
        byte[] s = new byte[len];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static Object value(ByteBuffer b, int type, boolean keep) {
        switch (type) {
            case 0, 1 -> { return (long) b.get(); }
            case 2, 3 -> { return (long) b.getShort(); }
            case 4 -> { return b.getInt() & 0xFFFFFFFFL; }
            case 5 -> { return (long) b.getInt(); }
            case 6 -> { return (double) b.getFloat(); }
            case 7 -> { return b.get() != 0; }
            case 8 -> { return str(b); }
            case 9 -> {
                int et = b.getInt();
                long n = b.getLong();
                List<Object> list = keep ? new ArrayList<>() : null;
                for (long i = 0; i < n; i++) {
                    Object v = value(b, et, keep);
                    if (keep) {
                        list.add(v);
                    }
                }
                return list;
            }
            case 10, 11 -> { return b.getLong(); }
            case 12 -> { return b.getDouble(); }
            default -> throw new IllegalStateException("unknown GGUF type " + type);
        }
    }

    private GgufVocabulary() {
    }
}
