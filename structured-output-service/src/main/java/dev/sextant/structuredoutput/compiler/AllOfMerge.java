package dev.sextant.structuredoutput.compiler;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code allOf} as one schema, for {@link JsonSchemaCompiler}, where merging keeps the language exact. */
final class AllOfMerge {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AllOfMerge() {
    }

    /**
     * Merges {@code allOf} members into one schema where that is exact (disjoint keywords, or the same value,
     * properties combined, required united, types intersected), so that object members from different parts
     * can interleave; returns null when the language intersection has to be used instead.
     */
    static JsonNode merge(JsonNode node) {
        List<JsonNode> parts = new ArrayList<>();
        ObjectNode base = node.deepCopy();
        base.remove("allOf");
        base.remove("$ref");
        parts.add(base);
        for (JsonNode m : node.get("allOf")) {
            if (m.isBoolean() && m.booleanValue()) {
                continue;
            }
            if (!m.isObject() || m.has("$ref") || m.has("allOf") || m.has("$id")) {
                return null;
            }
            parts.add(m);
        }
        ObjectNode out = JSON.createObjectNode();
        ObjectNode props = JSON.createObjectNode();
        Set<String> required = new LinkedHashSet<>();
        Set<String> types = null;
        JsonNode additionalOwner = null;
        for (JsonNode p : parts) {
            for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String k = e.getKey();
                JsonNode v = e.getValue();
                switch (k) {
                    case "properties" -> v.fields().forEachRemaining(pe -> {
                        JsonNode prior = props.get(pe.getKey());
                        if (prior == null) {
                            props.set(pe.getKey(), pe.getValue());
                        } else {
                            ObjectNode both = JSON.createObjectNode();
                            both.putArray("allOf").add(prior).add(pe.getValue());
                            props.set(pe.getKey(), both);
                        }
                    });
                    case "required" -> v.forEach(r -> required.add(r.asText()));
                    case "type" -> {
                        Set<String> t = new LinkedHashSet<>();
                        if (v.isArray()) {
                            v.forEach(x -> t.add(x.asText()));
                        } else {
                            t.add(v.asText());
                        }
                        if (t.contains("number")) {
                            t.add("integer");
                        }
                        if (types == null) {
                            types = t;
                        } else {
                            types.retainAll(t);
                        }
                    }
                    case "additionalProperties" -> {
                        if (additionalOwner != null) {
                            return null;
                        }
                        additionalOwner = p;
                        out.set(k, v);
                    }
                    default -> {
                        if (JsonSchemaCompiler.ANNOTATIONS.contains(k)) {
                            continue;
                        }
                        if (out.has(k) && !out.get(k).equals(v)) {
                            return null;
                        }
                        out.set(k, v);
                    }
                }
            }
        }
        if (additionalOwner != null) {
            JsonNode ownProps = additionalOwner.path("properties");
            for (Iterator<String> it = props.fieldNames(); it.hasNext(); ) {
                if (!ownProps.has(it.next())) {
                    return null; // additionalProperties of one part would judge another part's properties
                }
            }
        }
        if (!props.isEmpty()) {
            out.set("properties", props);
        }
        if (!required.isEmpty()) {
            var arr = out.putArray("required");
            required.forEach(arr::add);
        }
        if (types != null) {
            if (types.contains("number")) {
                types.remove("integer");
            }
            var arr = out.putArray("type");
            types.forEach(arr::add);
        }
        return out;
    }
}
