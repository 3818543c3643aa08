package dev.sextant.structuredoutput.compiler;

import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.sextant.constraint.ConstraintArtifact;
import dev.sextant.constraint.Grammar;
import dev.sextant.constraint.GrammarException;
import dev.sextant.constraint.Vocabulary;
import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import dk.brics.automaton.BasicOperations;

/**
 * Compiles each kind of constraint to a grammar, then to a token-level artifact for one vocabulary.
 *
 * <pre>{@code
 * Compiled c = ConstraintCompiler.regex("[0-9]{3}", vocabulary, new CompileBudget(Duration.ofSeconds(5), 50_000));
 * Matcher m = c.artifact().newMatcher();
 * }</pre>
 */
public final class ConstraintCompiler {

    /** An artifact plus what the response reports about it. */
    public record Compiled(ConstraintArtifact artifact, Set<String> enforcedKeywords, Set<String> postValidated, long compileMillis) {
        public int states() {
            return artifact.grammar().stateCount();
        }
    }

    private ConstraintCompiler() {
    }

    public static Compiled jsonSchema(JsonNode schema, JsonSchemaCompiler.Draft fallback, JsonSchemaCompiler.Whitespace ws,
            Vocabulary vocabulary, CompileBudget budget) {
        long t0 = System.nanoTime();
        JsonSchemaCompiler.Result r = new JsonSchemaCompiler(JsonSchemaCompiler.draftOf(schema, fallback), ws, budget).compile(schema);
        return finish(r.grammar(), r.enforcedKeywords(), r.postValidated(), vocabulary, budget, t0);
    }

    public static Compiled regex(String pattern, Vocabulary vocabulary, CompileBudget budget) {
        long t0 = System.nanoTime();
        EcmaRegex.Compiled p = EcmaRegex.compile(pattern, "regex", "regex");
        return single(budget.check(Utf8Automata.toBytes(p.automaton(), false)), Set.of(), vocabulary, budget, t0);
    }

    public static Compiled choice(List<String> choices, Vocabulary vocabulary, CompileBudget budget) {
        long t0 = System.nanoTime();
        if (choices.isEmpty()) {
            throw ConstraintException.invalid("choice", "choice", "'choice' needs at least one string");
        }
        Automaton a = BasicOperations.union(choices.stream().map(Utf8Automata::bytes).toList());
        return single(budget.check(a), Set.of(), vocabulary, budget, t0);
    }

    public static Compiled grammar(String gbnf, Vocabulary vocabulary, CompileBudget budget) {
        long t0 = System.nanoTime();
        RuleSet rules = new GbnfParser(gbnf, budget).parse();
        return finish(rules.toGrammar(0, budget), Set.of(), Set.of(), vocabulary, budget, t0);
    }

    private static Compiled single(Automaton a, Set<String> enforced, Vocabulary vocabulary, CompileBudget budget, long t0) {
        if (a.isEmpty()) {
            throw ConstraintException.invalid("constraint", "constraint", "the constraint admits no output");
        }
        RuleSet rules = new RuleSet();
        rules.add(a);
        return finish(rules.toGrammar(0, budget), enforced, Set.of(), vocabulary, budget, t0);
    }

    private static Compiled finish(Grammar g, Set<String> enforced, Set<String> post, Vocabulary vocabulary, CompileBudget budget, long t0) {
        ConstraintArtifact artifact;
        try {
            // token tables are computed by the matcher, per state on first use: compiling walks no vocabulary
            artifact = ConstraintArtifact.of(g, vocabulary);
        } catch (GrammarException e) {
            if (e.getMessage().contains("budget")) {
                throw ConstraintException.budget(e.getMessage());
            }
            throw ConstraintException.invalid("grammar", "grammar", e.getMessage());
        }
        return new Compiled(artifact, Set.copyOf(enforced), Set.copyOf(post), (System.nanoTime() - t0) / 1_000_000);
    }

    static Automaton empty() {
        return BasicAutomata.makeEmpty();
    }
}
