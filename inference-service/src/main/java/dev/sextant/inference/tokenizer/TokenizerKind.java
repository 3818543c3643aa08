package dev.sextant.inference.tokenizer;

/** The tokenizer families Sextant implements, with the names the vocabulary API reports. */
public enum TokenizerKind {
    /** SentencePiece-style (llama.cpp's SPM): score-driven merges, "▁" for spaces, byte fallback. */
    SPM("spm"),
    /** Byte-level BPE (GPT-2, Llama 3, Qwen, Falcon, StarCoder): regex pre-tokenizer, ranked merges. */
    BPE("bpe"),
    /** WordPiece (BERT): lower-cased, accent-stripped words, greedy longest match. */
    WPM("wpm");

    private final String wireName;

    TokenizerKind(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
