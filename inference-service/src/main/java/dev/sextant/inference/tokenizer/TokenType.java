package dev.sextant.inference.tokenizer;

/** Token types as stored in {@code tokenizer.ggml.token_type} (llama.cpp's {@code llama_token_type}). */
public final class TokenType {
    public static final int UNDEFINED = 0;
    public static final int NORMAL = 1;
    public static final int UNKNOWN = 2;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    public static final int UNUSED = 5;
    public static final int BYTE = 6;

    private TokenType() {
    }

    /** Types whose tokens emit nothing when detokenized (llama.cpp suppresses them like control tokens). */
    static boolean emitsNothing(int type) {
        return type == CONTROL || type == UNKNOWN || type == UNUSED || type == UNDEFINED;
    }
}
