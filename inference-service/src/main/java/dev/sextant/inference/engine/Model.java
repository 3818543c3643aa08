package dev.sextant.inference.engine;

import java.lang.ref.Cleaner;
import java.nio.file.Path;

/**
 * A model loaded by the native engine: a GGUF file or a Hugging Face directory, weights mapped, not copied.
 * Sessions keep the native model alive until the last of them closes.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("stories260K.gguf"));
 *      Session session = model.newSession(SessionOptions.defaults().withThreads(2))) {
 *     Batch batch = session.newBatch();
 *     batch.add(1, 0, 0, true);
 *     session.step(batch);
 *     int next = batch.sampled(0);
 * }
 * }</pre>
 */
public final class Model implements AutoCloseable {

    static final Cleaner CLEANER = Cleaner.create();

    /** Owns the native handle; freed when the model and all its sessions are released. */
    static final class Handle {
        private long ptr;
        private int refs = 1;
        private boolean ownerReleased;

        Handle(long ptr) {
            this.ptr = ptr;
        }

        synchronized long acquire() {
            if (ptr == 0 || ownerReleased) {
                throw new IllegalStateException("model is closed");
            }
            refs++;
            return ptr;
        }

        synchronized long ptr() {
            if (ptr == 0 || ownerReleased) {
                throw new IllegalStateException("model is closed");
            }
            return ptr;
        }

        synchronized void releaseOwner() {
            if (!ownerReleased) {
                ownerReleased = true;
                release();
            }
        }

        synchronized void release() {
            if (--refs == 0 && ptr != 0) {
                SextantNative.modelFree(ptr);
                ptr = 0;
            }
        }
    }

    private final Handle handle;
    private final Cleaner.Cleanable cleanable;
    private final ModelInfo info;
    private final Path path;

    private Model(Path path, long ptr) {
        this.path = path;
        this.handle = new Handle(ptr);
        Handle h = handle;
        this.cleanable = CLEANER.register(this, h::releaseOwner);
        long[] i = SextantNative.modelInfo(ptr);
        this.info = new ModelInfo(SextantNative.modelArch(ptr), (int) i[0], (int) i[1], (int) i[2], (int) i[3], (int) i[4],
                (int) i[5], (int) i[6], (int) i[7], i[8], i[9]);
    }

    /** Loads a GGUF file or a Hugging Face model directory on the CPU backend. */
    public static Model load(Path path) {
        return load(path, Backend.CPU, 0);
    }

    public static Model load(Path path, Backend backend, int device) {
        long ptr = SextantNative.modelLoad(path.toAbsolutePath().toString(), backend.ordinal(), device);
        return new Model(path, ptr);
    }

    /** Comma-separated CPU features the engine detected, e.g. {@code avx2,fma,f16c}. */
    public static String cpuFeatures() {
        return SextantNative.cpuFeatures();
    }

    public ModelInfo info() {
        return info;
    }

    public Path path() {
        return path;
    }

    public Session newSession(SessionOptions options) {
        return new Session(this, handle, options);
    }

    @Override
    public void close() {
        cleanable.clean();
    }
}
