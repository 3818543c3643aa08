package dev.sextant.structuredoutput.compiler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.sextant.constraint.ConstraintArtifact;
import dev.sextant.constraint.Vocabulary;
import dev.sextant.structuredoutput.bench.ObjectSchemaBench;
import dev.sextant.structuredoutput.compiler.JsonSchemaCompiler.Draft;
import dev.sextant.structuredoutput.compiler.JsonSchemaCompiler.Whitespace;
import dev.sextant.structuredoutput.testing.Feed;
import dev.sextant.structuredoutput.testing.GgufVocabulary;
import dev.sextant.structuredoutput.testing.Tokenize;

/**
 * The object schemas that used to compile slowly (member values and repeated items inlined and re-minimized; now
 * rules the parent calls) compile, and the matcher still accepts exactly their valid instances. Also the two places
 * where such value rules must be inlined back for an exact intersection: an allOf that cannot be merged, and an
 * enum beside object keywords. Compile speed is shown by {@link ObjectSchemaBench}, not asserted here.
 */
class ObjectSchemaCompileTests {

    static final ObjectMapper JSON = new ObjectMapper();
    static Vocabulary vocab;
    static Tokenize tokenizer;

    @BeforeAll
    static void load() {
        vocab = GgufVocabulary.load("models/stories260K.gguf");
        tokenizer = new Tokenize(vocab);
    }

    static ConstraintArtifact compile(String schema) throws Exception {
        return ConstraintCompiler.jsonSchema(JSON.readTree(schema), Draft.DRAFT_2020_12, Whitespace.COMPACT, vocab,
                new CompileBudget(Duration.ofSeconds(60), 200_000)).artifact();
    }

    static String schema(String name) {
        return switch (name) {
            case "person" -> ObjectSchemaBench.SCHEMAS[0][1];
            case "item" -> ObjectSchemaBench.SCHEMAS[1][1];
            case "items" -> ObjectSchemaBench.SCHEMAS[2][1];
            case "allOf" -> "{\"allOf\":[{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":30}},\"required\":[\"name\"],"
                    + "\"additionalProperties\":false},{\"$ref\":\"#/$defs/x\"}],\"$defs\":{\"x\":{\"type\":\"object\",\"properties\":{\"name\":"
                    + "{\"type\":\"string\",\"minLength\":3,\"maxLength\":40}}}}}";
            case "enum" -> "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"maxLength\":30}},\"additionalProperties\":false,"
                    + "\"enum\":[{\"a\":\"x\"},{\"a\":\"0123456789012345678901234567890123\"},{\"b\":1}]}";
            default -> throw new IllegalArgumentException(name);
        };
    }

    static final String ITEM = "{\"name\":\"Widget\",\"tags\":[\"red\",\"small\"],\"price\":12.5}";

    @ParameterizedTest(name = "{0}: {1} -> {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            person | {"name":"Ann","age":30,"email":"ann@example.com","tags":["a","b"]} | true
            person | {"name":"Ann","age":30}                                            | true
            person | {"name":"Ann","age":151}                                           | false
            person | {"name":"Ann"}                                                     | false
            person | {"name":"Ann","age":30,"nick":"x"}                                 | false
            person | {"name":"Ann","age":30,"tags":["a","b","c","d","e","f"]}           | false
            person | {"name":"01234567890123456789012345678901234567890","age":1}       | false
            item   | {"name":"Widget","tags":["red","small"],"price":12.5}              | true
            item   | {"name":"W","tags":[],"price":null}                                | true
            item   | {"name":"012345678901234567890123","tags":["blue"],"price":0}      | true
            item   | {"name":"0123456789012345678901234","tags":["blue"],"price":0}     | false
            item   | {"name":"","tags":[],"price":1}                                    | false
            item   | {"name":"W","tags":["purple"],"price":1}                           | false
            item   | {"name":"W","tags":["red","red","red","red","red"],"price":1}      | false
            item   | {"name":"W","tags":[],"price":-1}                                  | false
            item   | {"name":"W","tags":[]}                                             | false
            allOf  | {"name":"abcd"}                                                    | true
            allOf  | {"name":"ab"}                                                      | false
            allOf  | {"name":"0123456789012345678901234567890"}                         | false
            enum   | {"a":"x"}                                                          | true
            enum   | {"a":"0123456789012345678901234567890123"}                         | false
            enum   | {"b":1}                                                            | false
            enum   | {"a":"y"}                                                          | false
            """)
    void acceptsExactlyTheValidInstances(String name, String instance, boolean valid) throws Exception {
        assertThat(Feed.accepts(compile(schema(name)), tokenizer, instance)).isEqualTo(valid);
    }

    @ParameterizedTest(name = "{0} items -> {1}")
    @CsvSource({"10, true", "11, true", "9, false", "0, false"})
    void arrayOfItemsWithMinItems(int n, boolean valid) throws Exception {
        String instance = "[" + String.join(",", java.util.Collections.nCopies(n, ITEM)) + "]";
        ConstraintArtifact a = compile(schema("items"));
        assertThat(a.grammar().ruleCount()).as("the item is a rule the array calls").isGreaterThan(1);
        assertThat(Feed.accepts(a, tokenizer, instance)).isEqualTo(valid);
        String broken = instance.replaceFirst("\"Widget\"", "\"\"");
        if (n > 0) {
            assertThat(Feed.accepts(a, tokenizer, broken)).as("an empty name in the first item").isFalse();
        }
    }
}
