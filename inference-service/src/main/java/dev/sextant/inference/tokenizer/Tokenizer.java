package dev.sextant.inference.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A model's tokenizer, conformant to llama.cpp (and so to the Hugging Face tokenizers its tests are generated
 * from): SentencePiece-style, byte-level BPE or WordPiece, with special tokens, BOS/EOS per model and
 * detokenization to the exact bytes each token stands for. Immutable and thread-safe.
 *
 * <pre>{@code
 * Tokenizer tok = Tokenizers.fromGguf(Path.of("model.gguf"));
 * int[] ids = tok.encode("Hello world", true, false);   // BOS added where the model wants it
 * String text = tok.decode(ids);
 * StreamingDecoder stream = tok.newStreamingDecoder();  // for generated tokens, one at a time
 * }</pre>
 */
public final class Tokenizer {

    /** Everything a loader determines; see {@link Tokenizers}. */
    record Config(TokenizerKind kind, String[] tokens, float[] scores, int[] types, String[] merges,
            PreTokenizer preTokenizer, boolean ignoreMerges, boolean byteFallback, int bos, int eos, int unk, int sep,
            int eot, int eom, boolean addBos, boolean addEos, boolean addSpacePrefix, boolean[] lstrip, boolean[] rstrip) {
    }

    private static final Set<String> EOG_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<｜end▁of▁sentence｜>", "<|return|>", "<|call|>");

    private final Config config;
    private final Vocab vocab;
    private final SpecialTokenSplitter splitter;
    private final SpmEncoder spm;
    private final BpeEncoder bpe;
    private final WpmEncoder wpm;
    private final byte[][] pieces;
    private final int[] eogIds;
    private final int[] specialIds;
    private final String hash;

    Tokenizer(Config config) {
        this.config = config;
        int n = config.tokens().length;
        if (config.types().length != n || (config.scores() != null && config.scores().length != n)) {
            throw new IllegalArgumentException("vocabulary arrays disagree: " + n + " tokens, " + config.types().length
                    + " types" + (config.scores() == null ? "" : ", " + config.scores().length + " scores"));
        }
        this.vocab = new Vocab(config.tokens(), config.scores(), config.types(), config.merges(), config.unk());
        this.splitter = new SpecialTokenSplitter(vocab, config.lstrip(), config.rstrip());
        boolean spmWithMerges = config.kind() == TokenizerKind.SPM && config.scores() == null && vocab.hasMerges();
        this.spm = config.kind() == TokenizerKind.SPM && !spmWithMerges ? new SpmEncoder(vocab) : null;
        this.bpe = config.kind() == TokenizerKind.BPE || spmWithMerges
                ? new BpeEncoder(vocab, config.ignoreMerges(), config.byteFallback() || spmWithMerges) : null;
        this.wpm = config.kind() == TokenizerKind.WPM ? new WpmEncoder(vocab) : null;
        if (config.kind() == TokenizerKind.BPE && config.preTokenizer() == null) {
            throw new IllegalArgumentException("a BPE tokenizer needs a pre-tokenizer");
        }
        this.pieces = new byte[n][];
        List<Integer> special = new ArrayList<>();
        for (int id = 0; id < n; id++) {
            pieces[id] = piece(id);
            if (TokenType.emitsNothing(config.types()[id])) {
                special.add(id);
            }
        }
        this.specialIds = special.stream().mapToInt(Integer::intValue).toArray();
        Set<Integer> eog = new LinkedHashSet<>();
        for (int id : new int[] {config.eos(), config.eot(), config.eom()}) {
            if (id >= 0 && id < n) {
                eog.add(id);
            }
        }
        for (int id = 0; id < n; id++) {
            if (EOG_TEXTS.contains(config.tokens()[id]) && config.types()[id] != TokenType.NORMAL) {
                eog.add(id);
            }
        }
        this.eogIds = eog.stream().mapToInt(Integer::intValue).toArray();
        this.hash = computeHash();
    }

    private byte[] piece(int id) {
        int type = vocab.type(id);
        String text = vocab.token(id);
        if (TokenType.emitsNothing(type)) {
            return new byte[0];
        }
        if (type == TokenType.USER_DEFINED) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        if (type == TokenType.BYTE) {
            if (text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")) {
                return new byte[] {(byte) Integer.parseInt(text.substring(3, 5), 16)};
            }
            return text.getBytes(StandardCharsets.UTF_8);
        }
        return switch (config.kind()) {
            case SPM, WPM -> text.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
            case BPE -> ByteLevel.decode(text);
        };
    }

    public TokenizerKind kind() {
        return config.kind();
    }

    public int vocabSize() {
        return vocab.size();
    }

    /** The BOS token id ([CLS] for WordPiece), or -1. */
    public int bosId() {
        return config.bos();
    }

    /** The EOS token id, or -1. */
    public int eosId() {
        return config.eos();
    }

    /** Every token that ends generation: EOS, EOT and the end-of-turn tokens llama.cpp recognises by text. */
    public int[] endOfGenerationIds() {
        return eogIds.clone();
    }

    public boolean isEndOfGeneration(int id) {
        for (int e : eogIds) {
            if (e == id) {
                return true;
            }
        }
        return false;
    }

    public boolean addsBos() {
        return config.addBos();
    }

    public boolean addsEos() {
        return config.addEos();
    }

    /** Tokens that emit no bytes: control, unknown and unused tokens. */
    public int[] specialTokenIds() {
        return specialIds.clone();
    }

    /** The token's text as stored in the vocabulary (e.g. "▁Hello", "Ġworld", "<s>"). */
    public String tokenText(int id) {
        return vocab.token(id);
    }

    public int tokenType(int id) {
        return vocab.type(id);
    }

    /** The id of the token whose stored text is exactly {@code text}, or -1. */
    public int tokenId(String text) {
        return vocab.id(text);
    }

    /** The exact bytes token {@code id} emits when detokenized (empty for control tokens). */
    public byte[] tokenBytes(int id) {
        return pieces[id].clone();
    }

    int pieceLength(int id) {
        return pieces[id].length;
    }

    void appendPiece(int id, ByteArrayOutputStream out) {
        out.write(pieces[id], 0, pieces[id].length);
    }

    /**
     * Token ids of {@code text}. {@code addSpecial}: add BOS/EOS (CLS/SEP) as the model's flags say;
     * {@code parseSpecial}: recognise control-token texts such as "&lt;|im_end|&gt;" in the text.
     */
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IntList out = new IntList();
        List<SpecialTokenSplitter.Fragment> fragments = splitter.split(text, parseSpecial);
        switch (config.kind()) {
            case SPM -> {
                if (addSpecial && config.addBos() && config.bos() >= 0) {
                    out.add(config.bos());
                }
                boolean prevSpecial = true;
                for (SpecialTokenSplitter.Fragment f : fragments) {
                    if (f.isText()) {
                        String t = (config.addSpacePrefix() && prevSpecial ? " " : "") + f.text();
                        t = t.replace(' ', '\u2581');
                        if (spm != null) {
                            spm.encode(t, out);
                        } else {
                            bpe.encodeWord(t, out);
                        }
                        prevSpecial = false;
                    } else {
                        out.add(f.token());
                        prevSpecial = true;
                    }
                }
                if (addSpecial && config.addEos() && config.eos() >= 0) {
                    out.add(config.eos());
                }
            }
            case BPE -> {
                if (addSpecial && config.addBos() && config.bos() >= 0) {
                    out.add(config.bos());
                }
                for (SpecialTokenSplitter.Fragment f : fragments) {
                    if (f.isText()) {
                        for (String word : config.preTokenizer().split(f.text())) {
                            bpe.encodeWord(ByteLevel.encode(word), out);
                        }
                    } else {
                        out.add(f.token());
                    }
                }
                if (addSpecial && config.addEos() && config.eos() >= 0) {
                    out.add(config.eos());
                }
            }
            case WPM -> {
                if (addSpecial && config.bos() >= 0) {
                    out.add(config.bos());
                }
                for (SpecialTokenSplitter.Fragment f : fragments) {
                    if (f.isText()) {
                        wpm.encode(f.text(), out);
                    } else {
                        out.add(f.token());
                    }
                }
                if (addSpecial && config.sep() >= 0) {
                    out.add(config.sep());
                }
            }
        }
        return out.toArray();
    }

    /** Token ids of {@code text} with the model's BOS/EOS added and special-token texts left as text. */
    public int[] encode(String text) {
        return encode(text, true, false);
    }

    /** The UTF-8 bytes of the tokens, concatenated. */
    public byte[] decodeBytes(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            appendPiece(id, out);
        }
        return out.toByteArray();
    }

    /** The text of the tokens (control tokens emit nothing; invalid UTF-8 becomes U+FFFD). */
    public String decode(int[] ids) {
        return new String(decodeBytes(ids), StandardCharsets.UTF_8);
    }

    /** A decoder for tokens arriving one at a time that never splits a UTF-8 character. */
    public StreamingDecoder newStreamingDecoder() {
        return new StreamingDecoder(this);
    }

    /**
     * sha256 (hex) of the canonical vocabulary: the kind, then for each id its type and stored text, then
     * BOS and EOS. Equal hashes mean equal ids emitting equal bytes.
     */
    public String hash() {
        return hash;
    }

    private String computeHash() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update((config.kind().wireName() + "\n").getBytes(StandardCharsets.UTF_8));
            for (int id = 0; id < vocab.size(); id++) {
                sha.update((vocab.type(id) + "\t" + vocab.token(id) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            sha.update(("bos=" + config.bos() + " eos=" + config.eos()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
