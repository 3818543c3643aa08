package dev.sextant.structuredoutput.grammar;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

/**
 * Validates a finished output against the original JSON Schema with networknt json-schema-validator: what the
 * token mask cannot hold (oneOf exclusivity, calendar dates) is checked here before an answer leaves.
 *
 * <pre>{@code
 * List<String> errors = OutputValidator.validate(schemaJson, outputJson);
 * }</pre>
 */
public final class OutputValidator {

    private static final ObjectMapper JSON = new ObjectMapper();

    private OutputValidator() {
    }

    /** Error messages, each with its instance location; empty when valid. An output that is not JSON yields one error. */
    public static List<String> validate(String schemaJson, String output) {
        JsonNode instance;
        JsonNode schemaNode;
        try {
            schemaNode = JSON.readTree(schemaJson);
            instance = JSON.readTree(output);
        } catch (Exception e) {
            return List.of("output is not JSON: " + e.getMessage());
        }
        return validate(schemaNode, instance, schemaNode.path("$schema").asText("").contains("draft-07")
                ? SpecificationVersion.DRAFT_7 : SpecificationVersion.DRAFT_2020_12);
    }

    public static List<String> validate(JsonNode schemaNode, JsonNode instance, SpecificationVersion version) {
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(version,
                b -> b.schemaRegistryConfig(com.networknt.schema.SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));
        Schema schema = registry.getSchema(schemaNode);
        return schema.validate(instance).stream().map(OutputValidator::describe).toList();
    }

    /** The message with where in the instance it applies, e.g. {@code $.age: must have a minimum value of 0}. */
    private static String describe(Error e) {
        String at = String.valueOf(e.getInstanceLocation());
        return at.isEmpty() ? e.getMessage() : at + ": " + e.getMessage();
    }
}
