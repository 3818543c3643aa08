package dev.sextant.inference.gguf;

import java.io.IOException;
import java.nio.file.Path;

/** A GGUF file that cannot be read: the message names the file and the reason. */
public class GgufFormatException extends IOException {

    private final transient Path file;

    public GgufFormatException(Path file, String reason) {
        super(file + ": " + reason);
        this.file = file;
    }

    public GgufFormatException(Path file, String reason, Throwable cause) {
        super(file + ": " + reason, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
