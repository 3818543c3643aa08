package dev.sextant.inference.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds and loads libsextant: the system property {@code sextant.native.path} (a file or a directory), then
 * {@code java.library.path}, then the copy inside the jar ({@code /native/linux-x86_64/libsextant.so}, extracted
 * to a temporary directory with its optional CUDA companion). A failure lists every path tried.
 */
final class NativeLibrary {

    static final String PROPERTY = "sextant.native.path";
    static final String FILE = "libsextant.so";
    static final String CUDA_FILE = "libsextant_cuda.so";
    static final String RESOURCE_DIR = "/native/linux-x86_64/";

    private static volatile boolean loaded;

    private NativeLibrary() {
    }

    static synchronized void load() {
        if (loaded) {
            return;
        }
        List<String> tried = new ArrayList<>();
        String prop = System.getProperty(PROPERTY);
        if (prop != null && !prop.isBlank()) {
            Path p = Path.of(prop);
            if (Files.isDirectory(p)) {
                p = p.resolve(FILE);
            }
            if (tryLoad(p, tried)) {
                return;
            }
        }
        else {
            tried.add("system property " + PROPERTY + " (unset)");
        }
        for (String dir : System.getProperty("java.library.path", "").split(java.io.File.pathSeparator)) {
            if (!dir.isBlank() && tryLoad(Path.of(dir, FILE), tried)) {
                return;
            }
        }
        try (InputStream in = NativeLibrary.class.getResourceAsStream(RESOURCE_DIR + FILE)) {
            if (in == null) {
                tried.add("classpath resource " + RESOURCE_DIR + FILE + " (absent)");
            }
            else {
                Path dir = Files.createTempDirectory("sextant-native");
                dir.toFile().deleteOnExit();
                Path lib = dir.resolve(FILE);
                Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
                lib.toFile().deleteOnExit();
                try (InputStream cuda = NativeLibrary.class.getResourceAsStream(RESOURCE_DIR + CUDA_FILE)) {
                    if (cuda != null) {
                        Path c = dir.resolve(CUDA_FILE);
                        Files.copy(cuda, c, StandardCopyOption.REPLACE_EXISTING);
                        c.toFile().deleteOnExit();
                    }
                }
                if (tryLoad(lib, tried)) {
                    return;
                }
            }
        }
        catch (IOException e) {
            tried.add("classpath resource " + RESOURCE_DIR + FILE + " (extraction failed: " + e.getMessage() + ")");
        }
        throw new EngineException(EngineException.Status.LIBRARY,
                "cannot load the native engine " + FILE + " for " + System.getProperty("os.name") + "/"
                        + System.getProperty("os.arch") + "; tried: " + String.join("; ", tried));
    }

    private static boolean tryLoad(Path p, List<String> tried) {
        if (!Files.isRegularFile(p)) {
            tried.add(p + " (absent)");
            return false;
        }
        try {
            System.load(p.toAbsolutePath().toString());
            loaded = true;
            return true;
        }
        catch (UnsatisfiedLinkError e) {
            tried.add(p + " (" + e.getMessage() + ")");
            return false;
        }
    }
}
