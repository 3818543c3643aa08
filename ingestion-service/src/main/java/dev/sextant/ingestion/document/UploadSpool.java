package dev.sextant.ingestion.document;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;

import org.springframework.stereotype.Component;

import dev.sextant.ingestion.IngestionErrors;
import dev.sextant.ingestion.IngestionProperties;
import dev.sextant.support.SextantException;

/**
 * Streams an upload into the spool directory under a generated name (never the client's file name), hashing it
 * on the way and stopping at the size limit; the caller deletes it once parsed.
 */
@Component
class UploadSpool {

    private final Path dir;
    private final long maxBytes;

    UploadSpool(IngestionProperties properties) throws IOException {
        this.dir = Files.createDirectories(properties.spoolDir());
        this.maxBytes = properties.limits().maxFileSize().toBytes();
    }

    Spooled spool(InputStream in) {
        Path file = dir.resolve(UUID.randomUUID() + ".upload");
        MessageDigest sha256 = sha256();
        long size = 0;
        try (in; OutputStream out = Files.newOutputStream(file)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                size += n;
                if (size > maxBytes) {
                    throw new SextantException(IngestionErrors.DOCUMENT_TOO_LARGE, "file",
                            "The file passes the limit of " + maxBytes + " bytes", Map.of("limit", "file-size"), null);
                }
                sha256.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            delete(file);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            delete(file);
            throw e;
        }
        return new Spooled(file, HexFormat.of().formatHex(sha256.digest()), size);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a stray spool file is harmless; the next start-up does not depend on it
        }
    }

    /** A spooled upload; closing it deletes the file. */
    record Spooled(Path path, String sha256, long size) implements AutoCloseable {

        @Override
        public void close() {
            delete(path);
        }
    }
}
