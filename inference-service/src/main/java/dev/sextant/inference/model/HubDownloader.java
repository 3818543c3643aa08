package dev.sextant.inference.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Downloads a Hugging Face model id into a local cache the way the Hub serves it: the file list from
 * {@code /api/models/{id}/revision/{rev}}, each file from {@code /{id}/resolve/{rev}/{file}}, large files checked
 * against the SHA-256 the Hub sends in {@code X-Linked-Etag}. Files are written to a temporary name and renamed
 * only when complete and verified, so the cache never holds a half file. A progress bar goes to the given stream.
 *
 * <pre>{@code
 * Path model = new HubDownloader(URI.create("https://huggingface.co"), cacheDir, System.err)
 *         .download("TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF:tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf");
 * }</pre>
 * An id is {@code org/name}, optionally {@code @revision}, optionally {@code :file.gguf} to pick one GGUF file.
 */
public final class HubDownloader {

    /** {@code org/name[@revision][:file]}. */
    public static final Pattern MODEL_ID = Pattern.compile("([A-Za-z0-9][\\w.-]*/[\\w.-]+)(?:@([\\w./-]+))?(?::([\\w./-]+))?");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final List<String> HF_FILES = List.of("config.json", "tokenizer.json", "tokenizer_config.json",
            "generation_config.json", "model.safetensors.index.json");

    private final URI endpoint;
    private final Path cache;
    private final PrintStream progress;
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(20)).build();

    public HubDownloader(URI endpoint, Path cache, PrintStream progress) {
        this.endpoint = endpoint;
        this.cache = cache;
        this.progress = progress;
    }

    /**
     * Command line: {@code HubDownloader <model id> [cache dir] [endpoint]}; shows the progress bar on stderr and
     * prints the local path on stdout (the run command uses this to fetch {@code --model org/name} before start).
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: HubDownloader <org/name[@revision][:file.gguf]> [cache dir] [endpoint]");
            System.exit(2);
        }
        Path cache = Path.of(args.length > 1 ? args[1] : System.getProperty("user.home") + "/.cache/sextant/hub");
        URI endpoint = URI.create(args.length > 2 ? args[2] : "https://huggingface.co");
        try {
            System.out.println(new HubDownloader(endpoint, cache, System.err).download(args[0]));
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("cannot download " + args[0] + " from " + endpoint + ": " + e.getMessage());
            System.exit(1);
        }
    }

    public static boolean looksLikeModelId(String source) {
        return MODEL_ID.matcher(source).matches() && !source.startsWith("/") && !source.startsWith(".");
    }

    /** Returns the local GGUF file or Hugging Face directory, downloading what the cache lacks. */
    public Path download(String source) throws IOException {
        Matcher m = MODEL_ID.matcher(source);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + source + "' is not a Hugging Face model id (org/name[@revision][:file])");
        }
        String repo = m.group(1);
        String revision = m.group(2) != null ? m.group(2) : "main";
        String wanted = m.group(3);
        JsonNode info = getJson(endpoint.resolve("/api/models/" + repo + "/revision/" + encode(revision)));
        List<String> files = new ArrayList<>();
        info.path("siblings").forEach(s -> files.add(s.path("rfilename").asString()));
        String commit = info.path("sha").asString(revision);
        Path dir = cache.resolve(repo.replace('/', '_')).resolve(commit.replaceAll("[^\\w.-]", "_"));
        Files.createDirectories(dir);
        List<String> selected = select(repo, files, wanted);
        for (String file : selected) {
            fetch(repo, commit, file, dir.resolve(file));
        }
        return selected.size() == 1 && selected.getFirst().endsWith(".gguf") ? dir.resolve(selected.getFirst()) : dir;
    }

    /** One GGUF (the named one, else the Q4_K_M or Q8_0 one, else the only one), or the Hugging Face layout. */
    static List<String> select(String repo, List<String> files, String wanted) {
        if (wanted != null) {
            if (!files.contains(wanted)) {
                throw new IllegalArgumentException(repo + " has no file '" + wanted + "'; it has " + files);
            }
            return List.of(wanted);
        }
        List<String> ggufs = files.stream().filter(f -> f.endsWith(".gguf")).toList();
        if (!ggufs.isEmpty()) {
            for (String preferred : List.of("q4_k_m", "q8_0")) {
                for (String f : ggufs) {
                    if (f.toLowerCase().contains(preferred)) {
                        return List.of(f);
                    }
                }
            }
            if (ggufs.size() == 1) {
                return ggufs;
            }
            throw new IllegalArgumentException(repo + " has several GGUF files; name one as " + repo + ":<file>: " + ggufs);
        }
        List<String> out = new ArrayList<>(files.stream().filter(HF_FILES::contains).toList());
        out.addAll(files.stream().filter(f -> f.endsWith(".safetensors")).toList());
        if (!out.contains("config.json") || out.stream().noneMatch(f -> f.endsWith(".safetensors")) || !out.contains("tokenizer.json")) {
            throw new IllegalArgumentException(repo + " has neither a GGUF file nor config.json + *.safetensors + tokenizer.json");
        }
        return out;
    }

    private void fetch(String repo, String commit, String file, Path target) throws IOException {
        if (Files.isRegularFile(target)) {
            progress.printf("%s: cached%n", file);
            return;
        }
        Files.createDirectories(target.getParent());
        URI uri = endpoint.resolve("/" + repo + "/resolve/" + encode(commit) + "/" + file);
        // The Hub answers large (LFS) files with a redirect to a CDN; the checksum and size come on the redirect.
        String etag = "";
        long total = -1;
        HttpResponse<InputStream> response;
        int hops = 0;
        while (true) {
            response = send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            if (etag.isEmpty()) {
                etag = response.headers().firstValue("X-Linked-Etag").orElse("").replace("\"", "").replace("W/", "");
            }
            if (total < 0) {
                total = response.headers().firstValueAsLong("X-Linked-Size").orElse(-1);
            }
            int status = response.statusCode();
            if (status / 100 == 3 && response.headers().firstValue("Location").isPresent() && hops++ < 5) {
                response.body().close();
                uri = uri.resolve(response.headers().firstValue("Location").get());
                continue;
            }
            break;
        }
        if (response.statusCode() != 200) {
            response.body().close();
            throw new IOException("GET " + uri + " answered " + response.statusCode());
        }
        if (etag.isEmpty()) {
            etag = response.headers().firstValue("ETag").orElse("").replace("\"", "").replace("W/", "");
        }
        if (total < 0) {
            total = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        }
        Path partial = target.resolveSibling(target.getFileName() + ".incomplete");
        MessageDigest sha = sha256();
        long done = 0;
        int lastPercent = -1;
        try (InputStream in = response.body(); OutputStream out = Files.newOutputStream(partial)) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
                sha.update(buffer, 0, n);
                done += n;
                int percent = total > 0 ? (int) (done * 100 / total) : -1;
                if (percent != lastPercent) {
                    lastPercent = percent;
                    progress.print("\r" + bar(file, done, total));
                }
            }
        }
        progress.println();
        String actual = HexFormat.of().formatHex(sha.digest());
        if (SHA256.matcher(etag).matches() && !etag.equals(actual)) {
            Files.deleteIfExists(partial);
            throw new IOException(file + " from " + repo + ": checksum mismatch (expected sha256 " + etag + ", got " + actual
                    + "); nothing was kept, try again");
        }
        if (total > 0 && done != total) {
            Files.deleteIfExists(partial);
            throw new IOException(file + " from " + repo + ": got " + done + " of " + total + " bytes; nothing was kept");
        }
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static String bar(String file, long done, long total) {
        if (total <= 0) {
            return String.format("%s %,d bytes", file, done);
        }
        int width = 30;
        int filled = (int) (done * width / total);
        return String.format("%s [%s%s] %3d%% %,d/%,d bytes", file, "#".repeat(filled), " ".repeat(width - filled),
                done * 100 / total, done, total);
    }

    private JsonNode getJson(URI uri) throws IOException {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 404 || response.statusCode() == 401) {
            throw new IllegalArgumentException("The Hub does not know model '" + uri.getPath().replaceFirst("^/api/models/", "")
                    + "' (HTTP " + response.statusCode() + ")");
        }
        if (response.statusCode() != 200) {
            throw new IOException("GET " + uri + " answered " + response.statusCode());
        }
        return JsonMapper.builder().build().readTree(response.body());
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while downloading " + request.uri(), e);
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
