package dev.sextant.structuredoutput.compiler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.sextant.constraint.ConstraintArtifact;
import dev.sextant.constraint.Vocabulary;
import dev.sextant.structuredoutput.compiler.JsonSchemaCompiler.Draft;
import dev.sextant.structuredoutput.compiler.JsonSchemaCompiler.Whitespace;
import dev.sextant.structuredoutput.testing.Feed;
import dev.sextant.structuredoutput.testing.GgufVocabulary;
import dev.sextant.structuredoutput.testing.Tokenize;

class ConstraintCompilerTests {

    static Vocabulary vocab;
    static Tokenize tokenizer;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void load() {
        vocab = GgufVocabulary.load("models/stories260K.gguf");
        tokenizer = new Tokenize(vocab);
    }

    static CompileBudget budget() {
        return new CompileBudget(Duration.ofSeconds(10), 200_000);
    }

    static ConstraintArtifact schema(String json) throws Exception {
        return ConstraintCompiler.jsonSchema(JSON.readTree(json), Draft.DRAFT_2020_12, Whitespace.COMPACT, vocab, budget()).artifact();
    }

    @ParameterizedTest(name = "{0} on {1} -> {2}")
    @CsvSource(delimiter = ';', textBlock = """
            [0-9]{3}-[a-z]+            ; 123-abc      ; true
            [0-9]{3}-[a-z]+            ; 12-abc       ; false
            \\d{2,4}                   ; 12345        ; false
            \\d{2,4}                   ; 1234         ; true
            (cat|dog)s?                ; dogs         ; true
            (cat|dog)s?                ; cow          ; false
            [^x]+é                     ; abcé         ; true
            [^x]+é                     ; axé          ; false
            \\w+@\\w+\\.com            ; me@site.com  ; true
            """)
    void matchesRegexesOverTokens(String regex, String text, boolean expected) {
        ConstraintArtifact a = ConstraintCompiler.regex(regex, vocab, budget()).artifact();
        assertThat(Feed.accepts(a, tokenizer, text)).isEqualTo(expected);
    }

    @Test
    void refusesLookaheadWithItsPosition() {
        assertThatThrownBy(() -> ConstraintCompiler.regex("ab(?=c)", vocab, budget()))
                .isInstanceOf(ConstraintException.class).hasMessageContaining("position 2");
    }

    @Test
    void reportsTheSyntaxErrorOfAnInvalidRegex() {
        assertThatThrownBy(() -> ConstraintCompiler.regex("(ab", vocab, budget()))
                .isInstanceOf(ConstraintException.class).hasMessageContaining("position");
    }

    @Test
    void choiceAllowsExactlyTheListedStrings() {
        ConstraintArtifact a = ConstraintCompiler.choice(List.of("yes", "no", "maybe"), vocab, budget()).artifact();
        assertThat(Feed.accepts(a, tokenizer, "maybe")).isTrue();
        assertThat(Feed.accepts(a, tokenizer, "may")).isFalse();
        assertThat(Feed.accepts(a, tokenizer, "nope")).isFalse();
    }

    @ParameterizedTest(name = "{0} on {1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"required":["a"],"additionalProperties":false} | {"a":12,"b":"x"} | true
            {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"required":["a"],"additionalProperties":false} | {"b":"x"} | false
            {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"required":["a"],"additionalProperties":false} | {"a":1,"c":2} | false
            {"type":"object","properties":{"a":{"type":"integer"}}} | {"a":1,"c":[1,{"d":null}]} | true
            {"type":"object","properties":{"a":{"type":"integer"}}} | {"a":1,"a":2} | false
            {"type":"integer","minimum":-5,"exclusiveMaximum":120} | -5 | true
            {"type":"integer","minimum":-5,"exclusiveMaximum":120} | 120 | false
            {"type":"integer","minimum":-5,"exclusiveMaximum":120} | 119 | true
            {"type":"integer","minimum":-5,"exclusiveMaximum":120} | -6 | false
            {"type":"number","minimum":0,"maximum":1} | 0.5 | true
            {"type":"number","minimum":0,"maximum":1} | 1.5 | false
            {"type":"number","minimum":0,"maximum":1} | 1.0 | true
            {"type":"number","exclusiveMinimum":-2} | -1.99 | true
            {"type":"number","exclusiveMinimum":-2} | -2.0 | false
            {"type":"string","minLength":2,"maxLength":3} | "日本" | true
            {"type":"string","minLength":2,"maxLength":3} | "日本語x" | false
            {"type":"string","pattern":"^[a-z]+$"} | "abc" | true
            {"type":"string","pattern":"^[a-z]+$"} | "ab1" | false
            {"type":"string","format":"date"} | "2024-02-29" | true
            {"type":"string","format":"uuid"} | "123e4567-e89b-12d3-a456-426614174000" | true
            {"type":"string","format":"ipv4"} | "256.1.1.1" | false
            {"type":"string"} | "a\\"b\\n" | true
            {"type":["string","null"]} | null | true
            {"enum":["red",1,null]} | 1 | true
            {"enum":["red",1,null]} | "blue" | false
            {"type":"array","prefixItems":[{"type":"integer"}],"items":{"type":"string"},"minItems":2,"maxItems":3} | [1,"a"] | true
            {"type":"array","prefixItems":[{"type":"integer"}],"items":{"type":"string"},"minItems":2,"maxItems":3} | [1] | false
            {"type":"array","prefixItems":[{"type":"integer"}],"items":{"type":"string"},"minItems":2,"maxItems":3} | [1,"a","b","c"] | false
            {"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"next":{"anyOf":[{"type":"null"},{"$ref":"#/$defs/node"}]}},"required":["v","next"],"additionalProperties":false}},"$ref":"#/$defs/node"} | {"v":1,"next":{"v":2,"next":{"v":3,"next":null}}} | true
            {"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"next":{"anyOf":[{"type":"null"},{"$ref":"#/$defs/node"}]}},"required":["v","next"],"additionalProperties":false}},"$ref":"#/$defs/node"} | {"v":1,"next":{"v":2,"next":{"v":3}}} | false
            {"allOf":[{"type":"integer","minimum":3},{"maximum":5}]} | 4 | true
            {"allOf":[{"type":"integer","minimum":3},{"maximum":5}]} | 6 | false
            """)
    void enforcesJsonSchemaKeywords(String schema, String instance, boolean expected) throws Exception {
        assertThat(Feed.accepts(schema(schema), tokenizer, instance)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} refused naming {1}")
    @CsvSource(delimiter = '|', textBlock = """
            {"type":"object","minProperties":1}                      | minProperties | #/minProperties
            {"properties":{"a":{"not":{"type":"string"}}}}           | not           | #/properties/a/not
            {"type":"array","uniqueItems":true}                      | uniqueItems   | #/uniqueItems
            {"type":"string","format":"iri"}                         | format        | #/format
            {"type":"number","minimum":1.5}                          | minimum       | #/minimum
            {"if":{"type":"string"}}                                 | if            | #/if
            {"type":"integer","multipleOf":2}                        | multipleOf    | #/multipleOf
            {"$ref":"http://example.com/schema"}                     | $ref          | #/$ref
            """)
    void refusesWhatItCannotEnforceNamingKeywordAndPointer(String schema, String keyword, String pointer) {
        assertThatThrownBy(() -> schema(schema)).isInstanceOfSatisfying(ConstraintException.class, e -> {
            assertThat(e.kind()).isEqualTo(ConstraintException.Kind.UNSUPPORTED);
            assertThat(e.keyword()).isEqualTo(keyword);
            assertThat(e.location()).isEqualTo(pointer);
        });
    }

    @Test
    void refusesASchemaOverTheStateBudgetQuickly() {
        String schema = "{\"type\":\"array\",\"items\":{\"type\":\"string\",\"maxLength\":5000},\"maxItems\":5000}";
        assertThatThrownBy(() -> ConstraintCompiler.jsonSchema(JSON.readTree(schema), Draft.DRAFT_2020_12, Whitespace.COMPACT, vocab,
                new CompileBudget(Duration.ofSeconds(2), 50_000)))
                .isInstanceOfSatisfying(ConstraintException.class, e -> assertThat(e.kind()).isEqualTo(ConstraintException.Kind.BUDGET));
    }

    @Test
    void flexibleWhitespaceAcceptsPrettyPrintedJsonAndCompactDoesNot() throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}}}";
        ConstraintArtifact flexible = ConstraintCompiler.jsonSchema(JSON.readTree(schema), Draft.DRAFT_2020_12, Whitespace.FLEXIBLE, vocab, budget()).artifact();
        String pretty = "{\n  \"a\" : [ 1, 2 ]\n}";
        assertThat(Feed.accepts(flexible, tokenizer, pretty)).isTrue();
        assertThat(Feed.accepts(schema(schema), tokenizer, pretty)).isFalse();
    }

    @Test
    void compilesARecursiveGbnfGrammar() {
        String gbnf = """
                # nested lists of digits
                root ::= list
                list ::= "[" ( item ( "," item )* )? "]"
                item ::= [0-9]+ | list
                """;
        ConstraintArtifact a = ConstraintCompiler.grammar(gbnf, vocab, budget()).artifact();
        assertThat(a.grammar().isPushdown()).isTrue();
        assertThat(Feed.accepts(a, tokenizer, "[1,[2,[3]],45]")).isTrue();
        assertThat(Feed.accepts(a, tokenizer, "[1,[2,[3],45]")).isFalse();
    }

    @Test
    void compilesLlamaCppsJsonGrammar() {
        String gbnf = """
                root   ::= object
                value  ::= object | array | string | number | ("true" | "false" | "null") ws

                object ::=
                  "{" ws (
                            string ":" ws value
                    ("," ws string ":" ws value)*
                  )? "}" ws

                array  ::=
                  "[" ws (
                            value
                    ("," ws value)*
                  )? "]" ws

                string ::=
                  "\\"" (
                    [^"\\\\\\x7F\\x00-\\x1F] |
                    "\\\\" (["\\\\bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
                  )* "\\"" ws

                number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws

                # Optional space: by convention, applied in this grammar after literal chars when allowed
                ws ::= | " " | "\n" [ \t]{0,20}
                """;
        ConstraintArtifact a = ConstraintCompiler.grammar(gbnf, vocab, budget()).artifact();
        assertThat(Feed.accepts(a, tokenizer, "{\"a\": [1, -2.5e3, \"x\\ny\", {\"b\": null}], \"c\": true}")).isTrue();
        assertThat(Feed.accepts(a, tokenizer, "{\"a\": [1, 2,]}")).isFalse();
    }

    @Test
    void refusesALeftRecursiveGrammar() {
        assertThatThrownBy(() -> ConstraintCompiler.grammar("root ::= root \"a\" | \"b\"", vocab, budget()))
                .isInstanceOf(ConstraintException.class).hasMessageContaining("left-recursive");
    }

    @Test
    void namesTheLineAndColumnOfAGrammarSyntaxError() {
        assertThatThrownBy(() -> ConstraintCompiler.grammar("root ::= \"a\"\nx ::= [a-", vocab, budget()))
                .isInstanceOf(ConstraintException.class).hasMessageContaining("line 2");
    }
}
