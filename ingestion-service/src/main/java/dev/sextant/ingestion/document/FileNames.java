package dev.sextant.ingestion.document;

/**
 * A client's file name is data: only its last path segment is kept, control characters go, length is capped.
 * It serves as default title and as a type hint, never as a path: uploads are stored under generated ids.
 */
final class FileNames {

    private FileNames() {
    }

    static String clean(String original) {
        if (original == null) {
            return "upload";
        }
        String name = original;
        int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
        if (slash >= 0) {
            name = name.substring(slash + 1);
        }
        StringBuilder out = new StringBuilder(name.length());
        name.codePoints().filter(cp -> !Character.isISOControl(cp) && cp != 0x2028 && cp != 0x2029)
                .forEach(out::appendCodePoint);
        String cleaned = out.toString().strip();
        if (cleaned.isEmpty() || cleaned.equals(".") || cleaned.equals("..")) {
            return "upload";
        }
        return cleaned.length() > 255 ? cleaned.substring(0, 255) : cleaned;
    }
}
