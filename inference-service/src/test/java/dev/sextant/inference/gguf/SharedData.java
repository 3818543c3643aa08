package dev.sextant.inference.gguf;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared through SEXTANT_SHARED_DIR; fails (never skips) with a message when it is missing. */
public final class SharedData {

    private SharedData() {
    }

    public static Path dir() {
        String dir = System.getenv("SEXTANT_SHARED_DIR");
        if (dir == null || dir.isBlank()) {
            throw new IllegalStateException("SEXTANT_SHARED_DIR is not set: it must point at the shared data folder (../shared)");
        }
        Path path = Path.of(dir);
        if (!Files.isDirectory(path)) {
            throw new IllegalStateException("SEXTANT_SHARED_DIR=" + dir + " is not a directory");
        }
        return path;
    }

    public static Path file(String relative) {
        Path path = dir().resolve(relative);
        if (!Files.isRegularFile(path)) {
            throw new IllegalStateException("missing shared file " + path);
        }
        return path;
    }
}
