package dev.sextant.ingestion.job;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import org.springframework.stereotype.Component;

import dev.sextant.ingestion.parse.ParsedDocument;
import tools.jackson.databind.json.JsonMapper;

/** Stores a parse result as gzip'd JSON in job_inputs, so that any instance can pick the job up. */
@Component
public class ParsedCodec {

    private final JsonMapper json = JsonMapper.builder().build();

    public byte[] encode(ParsedDocument document) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            json.writeValue(out, document);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public ParsedDocument decode(byte[] stored) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(stored))) {
            return json.readValue(in, ParsedDocument.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
