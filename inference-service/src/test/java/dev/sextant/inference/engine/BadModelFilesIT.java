package dev.sextant.inference.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every broken file gives an EngineException naming the file and the reason, never a crash or a hang. */
class BadModelFilesIT {

    @TempDir
    Path dir;

    private byte[] stories() throws IOException {
        return Files.readAllBytes(EngineTestSupport.stories());
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static void assertFails(Path file, EngineException.Status status, String reason) {
        assertThatThrownBy(() -> Model.load(file).close())
                .isInstanceOf(EngineException.class)
                .hasMessageContaining(file.toAbsolutePath().toString())
                .hasMessageContaining(reason)
                .satisfies(e -> assertThat(((EngineException) e).status()).isEqualTo(status));
    }

    /** Offset of the first byte after {@code needle} in {@code hay}, or fails. */
    private static int after(byte[] hay, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + n.length <= hay.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (hay[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i + n.length;
        }
        throw new AssertionError("not found: " + needle);
    }

    @Test
    void rejectsTruncatedFile() throws IOException {
        byte[] b = stories();
        assertFails(write("truncated.gguf", java.util.Arrays.copyOf(b, b.length / 2)), EngineException.Status.FORMAT, "truncated");
    }

    @Test
    void rejectsFileTruncatedInsideTheHeader() throws IOException {
        assertFails(write("header.gguf", java.util.Arrays.copyOf(stories(), 300)), EngineException.Status.FORMAT, "truncated");
    }

    @Test
    void rejectsEmptyFile() throws IOException {
        assertFails(write("empty.gguf", new byte[0]), EngineException.Status.FORMAT, "truncated");
    }

    @Test
    void rejectsWrongMagic() throws IOException {
        byte[] b = stories();
        b[0] = 'X';
        assertFails(write("magic.gguf", b), EngineException.Status.FORMAT, "wrong magic");
    }

    @Test
    void rejectsUnsupportedVersion() throws IOException {
        byte[] b = stories();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 99);
        assertFails(write("version.gguf", b), EngineException.Status.UNSUPPORTED, "unsupported GGUF version 99");
    }

    @Test
    void rejectsUnknownDtype() throws IOException {
        byte[] b = stories();
        // tensor info: name, n_dims (u32), dims (u64 each), type (u32), offset (u64)
        int p = after(b, "output_norm.weight");
        int nDims = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(p);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(p + 4 + 8 * nDims, 77);
        assertFails(write("dtype.gguf", b), EngineException.Status.UNSUPPORTED, "unknown or unsupported dtype 77");
    }

    @Test
    void rejectsUnknownArchitecture() throws IOException {
        byte[] b = stories();
        int p = after(b, "general.architecture") + 4 + 8; // value type, string length
        System.arraycopy("gpt99".getBytes(StandardCharsets.US_ASCII), 0, b, p, 5);
        assertFails(write("arch.gguf", b), EngineException.Status.UNSUPPORTED, "unknown architecture 'gpt99'");
    }

    @Test
    void rejectsTensorShapeMismatch() throws IOException {
        byte[] b = stories();
        int p = after(b, "blk.0.attn_q.weight");
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(p + 4 + 8, 32); // rows 64 -> 32
        assertFails(write("shape.gguf", b), EngineException.Status.FORMAT, "tensor shape mismatch: 'blk.0.attn_q.weight'");
    }

    @Test
    void rejectsMissingTensor() throws IOException {
        byte[] b = stories();
        int p = after(b, "blk.0.ffn_up.weight");
        b[p - 2] = 'X'; // rename to blk.0.ffn_up.weiXht
        assertFails(write("missing.gguf", b), EngineException.Status.FORMAT, "missing tensor 'blk.0.ffn_up.weight'");
    }

    @Test
    void rejectsMissingFile() {
        assertFails(dir.resolve("nope.gguf"), EngineException.Status.IO, "no such file");
    }

    @Test
    void rejectsDirectoryWithoutConfig() {
        assertThatThrownBy(() -> Model.load(dir).close()).isInstanceOf(EngineException.class)
                .hasMessageContaining(dir.toAbsolutePath().toString()).hasMessageContaining("config.json");
    }

    @Test
    void survivesRandomByteCorruptionOfTheHeader() throws IOException {
        byte[] original = stories();
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        int failures = 0;
        for (int i = 0; i < 200; i++) {
            byte[] b = original.clone();
            int at = r.nextInt(8, 24_000);
            b[at] = (byte) r.nextInt(256);
            Path p = write("fuzz.gguf", b);
            try (Model m = Model.load(p); Session s = m.newSession(SessionOptions.defaults().withThreads(1).withContextTokens(64))) {
                s.step(s.newBatch().add(1, 0, 0, true));
            }
            catch (EngineException e) {
                failures++;
                assertThat(e.getMessage()).contains(p.toAbsolutePath().toString());
            }
        }
        assertThat(failures).as("some corruptions must be detected").isPositive();
    }
}
