package dev.sextant.constraint;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * A constraint compiled against one vocabulary: the grammar, the vocabulary's token bytes and the per-state
 * token tables, computed when a matcher first needs them (or all at once with {@link #compile}). Shared by every
 * {@link Matcher} over it, on any thread. The binary format is in ARTIFACT.md.
 *
 * <pre>{@code
 * ConstraintArtifact a = ConstraintArtifact.of(grammar, vocabulary);
 * byte[] bytes = a.toBytes();
 * Matcher m = ConstraintArtifact.read(new ByteArrayInputStream(bytes)).newMatcher();
 * }</pre>
 */
public final class ConstraintArtifact {

    public static final int MAGIC = 0x53584341; // "SXCA"
    public static final int VERSION = 2;

    final Grammar grammar;
    final Vocabulary vocabulary;
    final TokenTables tables;
    final boolean[] isEos;

    ConstraintArtifact(Grammar grammar, Vocabulary vocabulary) {
        this.grammar = grammar;
        this.vocabulary = vocabulary;
        this.tables = new TokenTables(grammar, vocabulary);
        this.isEos = new boolean[vocabulary.size()];
        for (int e : vocabulary.eosTokenIds()) {
            isEos[e] = true;
        }
        // fail early on left recursion: close every rule start once
        StackMachine m = new StackMachine(grammar);
        for (int r = 0; r < grammar.ruleCount(); r++) {
            m.reset();
            m.single(grammar.ruleStart[r], StackMachine.NOPOP);
        }
    }

    /**
     * The artifact with token tables left to compute on first use (no walk of the vocabulary now); throws
     * {@link GrammarException} for a left-recursive grammar.
     */
    public static ConstraintArtifact of(Grammar grammar, Vocabulary vocabulary) {
        return new ConstraintArtifact(grammar, vocabulary);
    }

    /** The artifact with every state's token table computed now; throws {@link GrammarException} past the budget. */
    public static ConstraintArtifact compile(Grammar grammar, Vocabulary vocabulary, java.time.Duration budget) {
        long deadline = System.nanoTime() + budget.toNanos();
        ConstraintArtifact a = new ConstraintArtifact(grammar, vocabulary);
        a.tables.computeAll(deadline);
        return a;
    }

    public Matcher newMatcher() {
        return new Matcher(this);
    }

    public Grammar grammar() {
        return grammar;
    }

    public Vocabulary vocabulary() {
        return vocabulary;
    }

    /** Words in a mask for this vocabulary: {@code (vocab_size + 63) / 64}. */
    public int maskWords() {
        return (vocabulary.size() + 63) >>> 6;
    }

    /**
     * Number of context-dependent (state, token) pairs, the work left to the matcher per step, among the token tables
     * computed so far (all of them after {@link #compile}).
     */
    public long contextDependentCount() {
        return tables.contextDependentCount();
    }

    /** Number of states whose token table has been computed (by {@link #compile}, a matcher, or read with the artifact). */
    public int computedTables() {
        int n = 0;
        for (int s = 0; s < grammar.stateCount(); s++) {
            if (tables.peek(s) != null) {
                n++;
            }
        }
        return n;
    }

    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            write(bytes);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    public void write(OutputStream out) throws IOException {
        CRC32 crc = new CRC32();
        DataOutputStream d = new DataOutputStream(new CheckedOutputStream(out, crc));
        d.writeInt(MAGIC);
        d.writeShort(VERSION);
        d.writeShort(0);
        d.writeUTF(vocabulary.hash());
        int v = vocabulary.size();
        d.writeInt(v);
        d.writeInt(vocabulary.eosTokenIds().length);
        for (int e : vocabulary.eosTokenIds()) {
            d.writeInt(e);
        }
        for (byte[] t : vocabulary.tokens()) {
            d.writeShort(t.length);
            d.write(t);
        }
        Grammar g = grammar;
        d.writeInt(g.ruleCount());
        d.writeInt(g.rootRule);
        for (int s : g.ruleStart) {
            d.writeInt(s);
        }
        int n = g.stateCount();
        d.writeInt(n);
        for (int s = 0; s < n; s++) {
            d.writeByte(g.accept[s] ? 1 : 0);
            int ranges = 0;
            for (int b = 0; b < 256; b = rangeEnd(g, s, b) + 1) {
                if (g.byteNext[s * 256 + b] >= 0) {
                    ranges++;
                }
            }
            d.writeShort(ranges);
            for (int b = 0; b < 256; ) {
                int end = rangeEnd(g, s, b);
                int target = g.byteNext[s * 256 + b];
                if (target >= 0) {
                    d.writeByte(b);
                    d.writeByte(end);
                    d.writeInt(target);
                }
                b = end + 1;
            }
            int calls = g.callOffset[s + 1] - g.callOffset[s];
            d.writeShort(calls);
            for (int c = g.callOffset[s]; c < g.callOffset[s + 1]; c++) {
                d.writeInt(g.callRule[c]);
                d.writeInt(g.callReturn[c]);
            }
        }
        for (int s = 0; s < n; s++) {
            if (!g.hasBytes[s]) {
                d.writeByte(0);
                continue;
            }
            TokenTables.Table table = tables.peek(s);
            if (table == null) {
                d.writeByte(3);
                continue;
            }
            if (table.acceptedMask() != null) {
                d.writeByte(2);
                long[] w = table.acceptedMask();
                d.writeInt(w.length);
                for (long x : w) {
                    d.writeLong(x);
                }
            } else {
                d.writeByte(1);
                writeIds(d, table.acceptedList());
            }
            writeIds(d, table.contextDependent());
        }
        d.flush();
        new DataOutputStream(out).writeInt((int) crc.getValue());
    }

    private static int rangeEnd(Grammar g, int s, int b) {
        int target = g.byteNext[s * 256 + b];
        int e = b;
        while (e + 1 < 256 && g.byteNext[s * 256 + e + 1] == target) {
            e++;
        }
        return e;
    }

    private static void writeIds(DataOutputStream d, int[] ids) throws IOException {
        d.writeInt(ids.length);
        for (int id : ids) {
            d.writeInt(id);
        }
    }

    private static int[] readIds(DataInputStream d, int vocab) throws IOException {
        int n = d.readInt();
        check(n >= 0 && n <= vocab, "id list length");
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = d.readInt();
            check(ids[i] >= 0 && ids[i] < vocab, "token id");
        }
        return ids;
    }

    /** Reads and verifies an artifact; throws {@link IOException} on a bad magic, version, bound or checksum. */
    public static ConstraintArtifact read(InputStream in) throws IOException {
        CRC32 crc = new CRC32();
        DataInputStream d = new DataInputStream(new CheckedInputStream(in, crc));
        check(d.readInt() == MAGIC, "magic");
        int version = d.readUnsignedShort();
        if (version != VERSION) {
            throw new IOException("unsupported artifact version " + version + " (this runtime reads " + VERSION + ")");
        }
        d.readUnsignedShort();
        String hash = d.readUTF();
        int v = d.readInt();
        check(v > 0 && v < (1 << 24), "vocab size");
        int[] eos = new int[d.readInt()];
        check(eos.length <= v, "eos count");
        for (int i = 0; i < eos.length; i++) {
            eos[i] = d.readInt();
            check(eos[i] >= 0 && eos[i] < v, "eos id");
        }
        byte[][] tokens = new byte[v][];
        for (int t = 0; t < v; t++) {
            tokens[t] = d.readNBytes(d.readUnsignedShort());
        }
        int rules = d.readInt();
        int root = d.readInt();
        check(rules > 0 && root >= 0 && root < rules, "rules");
        int[] starts = new int[rules];
        for (int r = 0; r < rules; r++) {
            starts[r] = d.readInt();
        }
        int n = d.readInt();
        check(n > 0 && n < (1 << 24), "state count");
        Grammar.Builder b = new Grammar.Builder();
        for (int r = 0; r < rules; r++) {
            b.addRule();
            check(starts[r] >= 0 && starts[r] < n, "rule start");
        }
        for (int s = 0; s < n; s++) {
            b.addState(false);
        }
        boolean[] accept = new boolean[n];
        for (int s = 0; s < n; s++) {
            accept[s] = d.readByte() != 0;
            int ranges = d.readUnsignedShort();
            for (int i = 0; i < ranges; i++) {
                int lo = d.readUnsignedByte();
                int hi = d.readUnsignedByte();
                int target = d.readInt();
                check(lo <= hi && target >= 0 && target < n, "byte range");
                b.addByteRange(s, lo, hi, target);
            }
            int calls = d.readUnsignedShort();
            for (int i = 0; i < calls; i++) {
                int rule = d.readInt();
                int ret = d.readInt();
                check(rule >= 0 && rule < rules && ret >= 0 && ret < n, "call");
                b.addCall(s, rule, ret);
            }
        }
        for (int r = 0; r < rules; r++) {
            b.setRuleStart(r, starts[r]);
        }
        Grammar built = b.build(root);
        Grammar g = new Grammar(root, built.ruleStart, accept, built.byteNext, built.callOffset, built.callRule, built.callReturn);
        TokenTables.Table[] tables = new TokenTables.Table[n];
        int words = (v + 63) >>> 6;
        for (int s = 0; s < n; s++) {
            int kind = d.readUnsignedByte();
            if (kind == 0) {
                check(!g.hasBytes[s], "missing token table");
                continue;
            }
            check(g.hasBytes[s], "token table of a state without byte edges");
            if (kind == 3) {
                continue;
            }
            int[] list = null;
            long[] mask = null;
            if (kind == 2) {
                check(d.readInt() == words, "mask words");
                mask = new long[words];
                for (int w = 0; w < words; w++) {
                    mask[w] = d.readLong();
                }
            } else {
                check(kind == 1, "table kind");
                list = readIds(d, v);
            }
            tables[s] = new TokenTables.Table(list, mask, readIds(d, v));
        }
        int expected = (int) crc.getValue();
        int stored = new DataInputStream(in).readInt();
        if (stored != expected) {
            throw new IOException("artifact checksum mismatch");
        }
        ConstraintArtifact artifact = new ConstraintArtifact(g, new Vocabulary(tokens, eos, hash));
        for (int s = 0; s < n; s++) {
            if (tables[s] != null) {
                artifact.tables.put(s, tables[s]);
            }
        }
        return artifact;
    }

    private static void check(boolean ok, String what) throws IOException {
        if (!ok) {
            throw new IOException("corrupt artifact: bad " + what);
        }
    }
}
