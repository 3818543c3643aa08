package dev.sextant.structuredoutput.compiler;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sextant.constraint.Grammar;
import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import dk.brics.automaton.BasicOperations;
import dk.brics.automaton.RegExp;
import dk.brics.automaton.State;
import dk.brics.automaton.StatePair;
import dk.brics.automaton.Transition;

/**
 * JSON Schema (draft 2020-12 and draft 7) to a byte-level grammar. Non-recursive schemas become one DFA;
 * recursive {@code $ref}s and unconstrained values ({@code {}}, {@code true}) become rules called through the
 * runtime's stack. Every keyword is either enforced, an annotation, or refused with its JSON pointer (fail
 * closed). Properties are generated in the schema's order.
 *
 * <pre>{@code
 * JsonSchemaCompiler.Result r = new JsonSchemaCompiler(Draft.DRAFT_2020_12, Whitespace.COMPACT, budget).compile(schema);
 * ConstraintArtifact a = ConstraintArtifact.of(r.grammar(), vocabulary);
 * }</pre>
 */
public final class JsonSchemaCompiler {

    public enum Draft { DRAFT_7, DRAFT_2020_12 }

    public enum Whitespace { COMPACT, FLEXIBLE }

    /** The grammar plus the keywords it enforces; {@code postValidated} lists those checked only afterwards. */
    public record Result(Grammar grammar, Set<String> enforcedKeywords, Set<String> postValidated) {
    }

    /** Keywords that change nothing about the language of valid documents. */
    public static final Set<String> ANNOTATIONS = Set.of("title", "description", "$comment", "examples", "default",
            "deprecated", "readOnly", "writeOnly", "$schema", "contentMediaType", "contentEncoding", "$defs", "definitions");

    /** Keywords this compiler enforces in the token mask (oneOf: its anyOf part; exclusivity is post-validated). */
    public static final Set<String> ENFORCED = new TreeSet<>(List.of("type", "enum", "const", "properties", "required",
            "additionalProperties", "anyOf", "oneOf", "allOf", "$ref", "items", "prefixItems", "additionalItems",
            "minItems", "maxItems", "minLength", "maxLength", "pattern", "format", "minimum", "maximum",
            "exclusiveMinimum", "exclusiveMaximum", "nullable", "uniqueItems", "$id"));

    private static final Set<String> KNOWN_DIALECTS = Set.of("https://json-schema.org/draft/2020-12/schema",
            "http://json-schema.org/draft-07/schema", "https://json-schema.org/draft-07/schema");
    private static final List<String> ALL_TYPES = List.of("null", "boolean", "object", "array", "string", "number", "integer");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Automaton> FORMAT_BYTES = new java.util.concurrent.ConcurrentHashMap<>();

    private final Draft draft;
    private final CompileBudget budget;
    private final Whitespace whitespace;
    private final Automaton ws;
    private final RuleSet rules = new RuleSet();
    private final Map<String, Integer> ruleOf = new HashMap<>();
    private final Deque<String> expanding = new ArrayDeque<>();
    private final List<String> pending = new ArrayList<>();
    private final Set<String> enforced = new TreeSet<>();
    private final Set<String> postValidated = new TreeSet<>();
    private JsonNode root;
    private int anyRule = -1;
    /**
     * Rules made for object member values and array items (not recursive): the parent calls them instead of
     * inlining a copy, so that a large value is minimized once, not once more per enclosing member or per repeated
     * item. Kept here so that an intersection (allOf that cannot be merged, enum with keywords) can inline them
     * back and stay exact.
     */
    private final Map<Integer, Automaton> valueRules = new HashMap<>();

    /** Values with more states than this become rules of their own (see {@link #valueRules}). */
    static final int VALUE_RULE_STATES = 24;

    public JsonSchemaCompiler(Draft draft, Whitespace whitespace, CompileBudget budget) {
        this.draft = draft;
        this.budget = budget;
        this.whitespace = whitespace;
        this.ws = whitespace == Whitespace.COMPACT ? BasicAutomata.makeEmptyString()
                : new RegExp("[ \t\n\r]*", RegExp.NONE).toAutomaton();
    }

    /** Picks the draft from {@code $schema}, defaulting to 2020-12. */
    public static Draft draftOf(JsonNode schema, Draft fallback) {
        String uri = schema.path("$schema").asText("");
        if (uri.contains("draft-07")) {
            return Draft.DRAFT_7;
        }
        if (uri.contains("2020-12")) {
            return Draft.DRAFT_2020_12;
        }
        return fallback;
    }

    /** A schema's language: an automaton, or "any JSON value" kept symbolic so intersections stay exact. */
    private record Lang(Automaton automaton, boolean any) {
        static final Lang ANY = new Lang(null, true);

        Automaton toAutomaton(JsonSchemaCompiler c) {
            return any ? Utf8Automata.call(c.anyRule()) : automaton;
        }
    }

    public Result compile(JsonNode schema) {
        this.root = schema;
        int top = rules.reserve();
        expanding.push("#");
        Lang l = compile(schema, "#");
        expanding.pop();
        Automaton a = l.toAutomaton(this);
        if (!l.any && a.isEmpty()) {
            throw ConstraintException.invalid("schema", "#", "the schema admits no JSON value");
        }
        rules.set(top, a);
        while (!pending.isEmpty()) {
            String pointer = pending.remove(pending.size() - 1);
            expanding.push(pointer);
            Lang body = compile(resolve(pointer, pointer), pointer);
            expanding.pop();
            rules.set(ruleOf.get(pointer), body.toAutomaton(this));
        }
        return new Result(rules.toGrammar(top, budget), enforced, postValidated);
    }

    private int anyRule() {
        if (anyRule < 0) {
            anyRule = rules.reserve();
            Automaton inner = Utf8Automata.call(anyRule);
            rules.set(anyRule, SharedAutomata.get(List.of("any", anyRule, whitespace), () -> {
                Automaton value = BasicOperations.union(List.of(objectOf(inner), arrayOf(inner), StringAutomata.string(), NumberAutomata.number(),
                        Utf8Automata.bytes("true"), Utf8Automata.bytes("false"), Utf8Automata.bytes("null")));
                value.minimize();
                return value;
            }));
        }
        return anyRule;
    }

    private Lang compile(JsonNode node, String ptr) {
        budget.checkTime();
        if (node.isBoolean()) {
            return node.booleanValue() ? Lang.ANY : new Lang(BasicAutomata.makeEmpty(), false);
        }
        if (!node.isObject()) {
            throw ConstraintException.invalid("schema", ptr, "a schema must be an object or a boolean");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!ENFORCED.contains(k) && !ANNOTATIONS.contains(k)) {
                throw ConstraintException.unsupported(k, ptr + "/" + escape(k), "keyword '" + k + "' cannot be enforced during generation");
            }
        }
        if (node.has("$schema") && !KNOWN_DIALECTS.contains(node.get("$schema").asText().replaceAll("#$", ""))) {
            throw ConstraintException.unsupported("$schema", ptr + "/$schema", "dialect '" + node.get("$schema").asText()
                    + "' is not supported (draft 2020-12 and draft 7 are)");
        }
        if (node.has("$id") && !ptr.equals("#")) {
            throw ConstraintException.unsupported("$id", ptr + "/$id", "'$id' in a subschema (a new base URI) is not supported");
        }
        if (node.has("uniqueItems") && node.get("uniqueItems").asBoolean()) {
            throw ConstraintException.unsupported("uniqueItems", ptr + "/uniqueItems", "'uniqueItems: true' cannot be enforced during generation");
        }
        if (draft == Draft.DRAFT_7 && node.has("prefixItems")) {
            throw ConstraintException.unsupported("prefixItems", ptr + "/prefixItems", "'prefixItems' is not a draft 7 keyword");
        }
        if (draft == Draft.DRAFT_2020_12 && node.has("additionalItems")) {
            throw ConstraintException.unsupported("additionalItems", ptr + "/additionalItems", "'additionalItems' is not a draft 2020-12 keyword");
        }
        Lang result = Lang.ANY;
        if (node.has("$ref")) {
            Lang ref = ref(node.get("$ref").asText(), ptr + "/$ref");
            enforced.add("$ref");
            if (draft == Draft.DRAFT_7) {
                return ref; // draft 7: siblings of $ref are ignored
            }
            result = ref;
        }
        result = intersect(result, typed(node, ptr));
        for (String k : List.of("anyOf", "oneOf")) {
            if (node.has(k)) {
                JsonNode subs = node.get(k);
                if (!subs.isArray() || subs.isEmpty()) {
                    throw ConstraintException.invalid(k, ptr + "/" + k, "'" + k + "' must be a non-empty array");
                }
                List<Automaton> alts = new ArrayList<>();
                boolean any = false;
                for (int i = 0; i < subs.size(); i++) {
                    Lang l = compile(subs.get(i), ptr + "/" + k + "/" + i);
                    any |= l.any;
                    if (!l.any) {
                        alts.add(l.automaton);
                    }
                }
                Lang union = any ? Lang.ANY : new Lang(budget.check(minimal(BasicOperations.union(alts))), false);
                result = intersect(result, union);
                enforced.add(k);
                if (k.equals("oneOf")) {
                    postValidated.add("oneOf");
                }
            }
        }
        if (node.has("allOf")) {
            JsonNode merged = AllOfMerge.merge(node);
            if (merged != null) {
                enforced.add("allOf");
                return intersect(result, compile(merged, ptr));
            }
            JsonNode subs = node.get("allOf");
            for (int i = 0; i < subs.size(); i++) {
                result = intersect(result, compile(subs.get(i), ptr + "/allOf/" + i));
            }
            enforced.add("allOf");
        }
        return result;
    }

    private Lang intersect(Lang x, Lang y) {
        if (x.any) {
            return y;
        }
        if (y.any) {
            return x;
        }
        Automaton xa = inlineValueRules(x.automaton);
        Automaton ya = inlineValueRules(y.automaton);
        budget.checkEstimate((long) xa.getNumberOfStates() * ya.getNumberOfStates() / 100, "an intersection (allOf, enum with keywords)");
        Automaton a = xa.intersection(ya);
        a.minimize();
        return new Lang(budget.check(a), false);
    }

    /**
     * A member value or array item: a rule of its own when it is large (see {@link #valueRules}), else the
     * automaton itself. Empty languages stay inline so that emptiness is still seen by the parent.
     */
    private Automaton valueOf(Lang l) {
        Automaton a = l.toAutomaton(this);
        if (l.any || a.getNumberOfStates() <= VALUE_RULE_STATES || a.isEmpty()) {
            return a;
        }
        int r = rules.add(a);
        valueRules.put(r, a);
        return Utf8Automata.call(r);
    }

    /** {@code a} with every call of a {@link #valueRules value rule} replaced by that rule's language (recursively). */
    private Automaton inlineValueRules(Automaton a) {
        if (valueRules.isEmpty() || !callsValueRule(a)) {
            return a;
        }
        budget.checkTime();
        Automaton out = a.clone();
        List<StatePair> epsilons = new ArrayList<>();
        for (State s : out.getStates()) {
            List<Transition> calls = s.getTransitions().stream().filter(t -> t.getMax() >= Utf8Automata.CALL_BASE).toList();
            for (Transition t : calls) {
                s.getTransitions().remove(t);
                int lo = t.getMin();
                if (lo < Utf8Automata.CALL_BASE) {
                    s.addTransition(new Transition((char) lo, (char) (Utf8Automata.CALL_BASE - 1), t.getDest()));
                    lo = Utf8Automata.CALL_BASE;
                }
                for (int c = lo; c <= t.getMax(); c++) {
                    Automaton body = valueRules.get(c - Utf8Automata.CALL_BASE);
                    if (body == null) {
                        s.addTransition(new Transition((char) c, t.getDest()));
                        continue;
                    }
                    Automaton copy = inlineValueRules(body).clone();
                    Set<State> finals = copy.getAcceptStates();
                    epsilons.add(new StatePair(s, copy.getInitialState()));
                    for (State f : finals) {
                        f.setAccept(false);
                        epsilons.add(new StatePair(f, t.getDest()));
                    }
                }
            }
        }
        out.addEpsilons(epsilons);
        out.minimize();
        return budget.check(out);
    }

    private boolean callsValueRule(Automaton a) {
        for (State s : a.getStates()) {
            for (Transition t : s.getTransitions()) {
                for (int c = Math.max(t.getMin(), Utf8Automata.CALL_BASE); c <= t.getMax(); c++) {
                    if (valueRules.containsKey(c - Utf8Automata.CALL_BASE)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static Automaton minimal(Automaton a) {
        a.minimize();
        return a;
    }

    private Lang ref(String ref, String ptr) {
        if (!ref.startsWith("#")) {
            throw ConstraintException.unsupported("$ref", ptr, "only local references ('#...') are supported, not '" + ref + "'");
        }
        String target = ref;
        if (ruleOf.containsKey(target)) {
            return new Lang(Utf8Automata.call(ruleOf.get(target)), false);
        }
        if (expanding.contains(target)) {
            int r = rules.reserve();
            ruleOf.put(target, r);
            pending.add(target);
            return new Lang(Utf8Automata.call(r), false);
        }
        if (expanding.size() > 64) {
            throw ConstraintException.budget("$ref chain deeper than 64");
        }
        JsonNode node = resolve(target, ptr);
        expanding.push(target);
        try {
            return compile(node, target);
        } finally {
            expanding.pop();
        }
    }

    private JsonNode resolve(String ref, String ptr) {
        String pointer = URLDecoder.decode(ref.substring(1).replace("+", "%2B"), StandardCharsets.UTF_8);
        if (!pointer.isEmpty() && !pointer.startsWith("/")) {
            throw ConstraintException.unsupported("$ref", ptr, "anchor references ('" + ref + "') are not supported");
        }
        JsonNode node = root.at(pointer);
        if (node.isMissingNode()) {
            throw ConstraintException.invalid("$ref", ptr, "reference '" + ref + "' does not resolve");
        }
        return node;
    }

    private Lang typed(JsonNode node, String ptr) {
        Set<String> types = new LinkedHashSet<>();
        boolean typeGiven = node.has("type");
        if (typeGiven) {
            JsonNode t = node.get("type");
            if (t.isTextual()) {
                types.add(t.asText());
            } else if (t.isArray()) {
                t.forEach(x -> types.add(x.asText()));
            }
            for (String s : types) {
                if (!ALL_TYPES.contains(s)) {
                    throw ConstraintException.invalid("type", ptr + "/type", "unknown type '" + s + "'");
                }
            }
            enforced.add("type");
        } else {
            types.addAll(ALL_TYPES);
        }
        if (node.path("nullable").asBoolean(false)) {
            types.add("null");
            enforced.add("nullable");
        }
        if (types.contains("number")) {
            types.remove("integer");
        }
        Lang enumLang = enumLang(node, ptr, types);
        boolean constrainedByKeywords = false;
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!ANNOTATIONS.contains(k) && !Set.of("type", "enum", "const", "nullable", "$ref", "anyOf", "oneOf", "allOf", "$id").contains(k)) {
                constrainedByKeywords = true;
            }
        }
        if (!typeGiven && !constrainedByKeywords) {
            return enumLang == null ? Lang.ANY : enumLang;
        }
        List<Automaton> parts = new ArrayList<>();
        for (String t : types) {
            parts.add(switch (t) {
                case "null" -> Utf8Automata.bytes("null");
                case "boolean" -> Utf8Automata.bytes("true").union(Utf8Automata.bytes("false"));
                case "integer" -> integer(node, ptr);
                case "number" -> boundedNumber(node, ptr);
                case "string" -> string(node, ptr);
                case "array" -> array(node, ptr);
                case "object" -> object(node, ptr);
                default -> throw new IllegalStateException(t);
            });
        }
        // string, array and object automata come back minimal: a single one needs no union and no new minimization
        Automaton a = parts.size() == 1 && Set.of("string", "array", "object").contains(types.iterator().next()) ? parts.get(0)
                : minimal(BasicOperations.union(parts));
        budget.check(a);
        if (enumLang == null) {
            return new Lang(a, false);
        }
        a = inlineValueRules(a);
        if (containsCalls(a)) {
            postValidated.add(node.has("enum") ? "enum" : "const");
            return enumLang;
        }
        return intersect(enumLang, new Lang(a, false));
    }

    private static boolean containsCalls(Automaton a) {
        return a.getStates().stream().anyMatch(s -> s.getTransitions().stream().anyMatch(t -> t.getMax() >= Utf8Automata.CALL_BASE));
    }

    private Lang enumLang(JsonNode node, String ptr, Set<String> types) {
        List<JsonNode> values = new ArrayList<>();
        if (node.has("enum")) {
            node.get("enum").forEach(values::add);
            enforced.add("enum");
        }
        if (node.has("const")) {
            if (node.has("enum")) {
                List<JsonNode> both = values.stream().filter(v -> v.equals(node.get("const"))).toList();
                values = new ArrayList<>(both);
            } else {
                values.add(node.get("const"));
            }
            enforced.add("const");
        }
        if (!node.has("enum") && !node.has("const")) {
            return null;
        }
        List<Automaton> lits = new ArrayList<>();
        for (JsonNode v : values) {
            if (types.contains(jsonType(v)) || (jsonType(v).equals("integer") && types.contains("number"))) {
                try {
                    lits.add(Utf8Automata.bytes(JSON.writeValueAsString(v)));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        Automaton a = lits.isEmpty() ? BasicAutomata.makeEmpty() : minimal(BasicOperations.union(lits));
        return new Lang(budget.check(a), false);
    }

    private static String jsonType(JsonNode v) {
        if (v.isNull()) {
            return "null";
        }
        if (v.isBoolean()) {
            return "boolean";
        }
        if (v.isIntegralNumber()) {
            return "integer";
        }
        if (v.isNumber()) {
            return v.decimalValue().stripTrailingZeros().scale() <= 0 ? "integer" : "number";
        }
        if (v.isTextual()) {
            return "string";
        }
        return v.isArray() ? "array" : "object";
    }

    // ---- numbers

    private BigDecimal bound(JsonNode node, String k, String ptr) {
        if (!node.has(k)) {
            return null;
        }
        JsonNode v = node.get(k);
        if (!v.isNumber()) {
            throw ConstraintException.unsupported(k, ptr + "/" + k, "'" + k + "' must be a number (draft 4 boolean form is not supported)");
        }
        enforced.add(k);
        return v.decimalValue();
    }

    private Automaton integer(JsonNode node, String ptr) {
        BigInteger lo = null;
        BigInteger hi = null;
        BigDecimal min = bound(node, "minimum", ptr);
        BigDecimal xmin = bound(node, "exclusiveMinimum", ptr);
        BigDecimal max = bound(node, "maximum", ptr);
        BigDecimal xmax = bound(node, "exclusiveMaximum", ptr);
        if (min != null) {
            lo = min.setScale(0, RoundingMode.CEILING).toBigInteger();
        }
        if (xmin != null) {
            BigInteger l = xmin.setScale(0, RoundingMode.FLOOR).toBigInteger().add(BigInteger.ONE);
            lo = lo == null ? l : lo.max(l);
        }
        if (max != null) {
            hi = max.setScale(0, RoundingMode.FLOOR).toBigInteger();
        }
        if (xmax != null) {
            BigInteger h = xmax.setScale(0, RoundingMode.CEILING).toBigInteger().subtract(BigInteger.ONE);
            hi = hi == null ? h : hi.min(h);
        }
        return NumberAutomata.integer(lo, hi);
    }

    /** Numbers with bounds: exact for integer-valued bounds (no exponent form then); others refused. */
    private Automaton boundedNumber(JsonNode node, String ptr) {
        Automaton a = null;
        for (String k : List.of("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")) {
            BigDecimal b = bound(node, k, ptr);
            if (b == null) {
                continue;
            }
            BigInteger v;
            try {
                v = b.toBigIntegerExact();
            } catch (ArithmeticException e) {
                throw ConstraintException.unsupported(k, ptr + "/" + k, "a non-integer '" + k + "' on a number cannot be enforced exactly");
            }
            Automaton part = NumberAutomata.bound(k, v);
            a = a == null ? part : a.intersection(part);
            budget.check(a);
        }
        if (a == null) {
            return NumberAutomata.number();
        }
        return minimal(a.intersection(NumberAutomata.noExponent()));
    }

    // ---- strings

    private Automaton string(JsonNode node, String ptr) {
        int min = intKeyword(node, "minLength", ptr, 0);
        int max = intKeyword(node, "maxLength", ptr, -1);
        Automaton body;
        if (max >= 0) {
            budget.checkEstimate((long) max * StringAutomata.JSON_CHAR_STATES, "maxLength " + max);
            body = min > max ? BasicAutomata.makeEmpty() : StringAutomata.chars(min, max);
        } else {
            budget.checkEstimate((long) min * StringAutomata.JSON_CHAR_STATES, "minLength " + min);
            body = StringAutomata.chars(min);
        }
        budget.check(body);
        if (node.has("pattern")) {
            EcmaRegex.Compiled p = EcmaRegex.compile(node.get("pattern").asText(), "pattern", ptr + "/pattern");
            body = budget.check(minimal(body.intersection(budget.check(Utf8Automata.toBytes(p.search(), true)))));
            enforced.add("pattern");
        }
        if (node.has("format")) {
            String f = node.get("format").asText();
            Automaton fa = Formats.automaton(f);
            if (fa == null) {
                throw ConstraintException.unsupported("format", ptr + "/format", "format '" + f + "' is not supported (supported: " + new TreeSet<>(Formats.names()) + ")");
            }
            body = budget.check(minimal(body.intersection(FORMAT_BYTES.computeIfAbsent(f, x -> Utf8Automata.toBytes(fa, true)).clone())));
            enforced.add("format");
            if (Set.of("date", "date-time", "email", "uri", "hostname").contains(f)) {
                postValidated.add("format");
            }
        }
        return StringAutomata.quoted(body);
    }

    private int intKeyword(JsonNode node, String k, String ptr, int fallback) {
        if (!node.has(k)) {
            return fallback;
        }
        JsonNode v = node.get(k);
        if (!v.canConvertToInt() || !v.isNumber() || v.decimalValue().stripTrailingZeros().scale() > 0 || v.intValue() < 0) {
            throw ConstraintException.invalid(k, ptr + "/" + k, "'" + k + "' must be a non-negative integer");
        }
        enforced.add(k);
        return v.intValue();
    }

    // ---- arrays

    private Automaton arrayOf(Automaton item) {
        Automaton sep = ws.concatenate(Utf8Automata.bytes(",")).concatenate(ws);
        Automaton items = item.concatenate(sep.concatenate(item).repeat()).optional();
        return minimal(Utf8Automata.bytes("[").concatenate(ws).concatenate(items).concatenate(ws).concatenate(Utf8Automata.bytes("]")));
    }

    private Automaton array(JsonNode node, String ptr) {
        List<Automaton> prefix = new ArrayList<>();
        Lang rest = Lang.ANY;
        JsonNode prefixNode = null;
        String prefixKey = null;
        if (draft == Draft.DRAFT_2020_12 && node.has("prefixItems")) {
            prefixNode = node.get("prefixItems");
            prefixKey = "prefixItems";
        } else if (draft == Draft.DRAFT_7 && node.has("items") && node.get("items").isArray()) {
            prefixNode = node.get("items");
            prefixKey = "items";
        }
        if (prefixNode != null) {
            for (int i = 0; i < prefixNode.size(); i++) {
                prefix.add(valueOf(compile(prefixNode.get(i), ptr + "/" + prefixKey + "/" + i)));
            }
            enforced.add(prefixKey);
        }
        if (draft == Draft.DRAFT_2020_12 && node.has("items")) {
            rest = compile(node.get("items"), ptr + "/items");
            enforced.add("items");
        } else if (draft == Draft.DRAFT_7 && node.has("items") && !node.get("items").isArray()) {
            rest = compile(node.get("items"), ptr + "/items");
            enforced.add("items");
        } else if (draft == Draft.DRAFT_7 && prefixNode != null && node.has("additionalItems")) {
            rest = compile(node.get("additionalItems"), ptr + "/additionalItems");
            enforced.add("additionalItems");
        }
        int min = intKeyword(node, "minItems", ptr, 0);
        int max = intKeyword(node, "maxItems", ptr, -1);
        Automaton restA = valueOf(rest);
        Automaton sep = ws.concatenate(Utf8Automata.bytes(",")).concatenate(ws);
        List<Automaton> alts = new ArrayList<>();
        int k = prefix.size();
        Automaton seq = BasicAutomata.makeEmptyString();
        for (int j = 0; j <= k; j++) {
            if (j > 0) {
                seq = j == 1 ? prefix.get(0) : seq.concatenate(sep).concatenate(prefix.get(j - 1));
            }
            if (j < k && j >= min && (max < 0 || j <= max)) {
                alts.add(seq);
            }
        }
        // all k prefix items, then r more items from 'rest'
        int rMin = Math.max(0, min - k);
        int rMax = max < 0 ? -1 : max - k;
        if (rMax < 0 && max >= 0) {
            // maxItems below the prefix length: shorter prefixes only
        } else if (!restA.isEmpty() || rMin == 0) {
            long restStates = restA.getNumberOfStates() + 2L;
            budget.checkEstimate(restStates * Math.max(rMin, rMax < 0 ? 1 : rMax), "items repeated " + Math.max(rMin, rMax));
            Automaton more;
            Automaton sepItem = sep.concatenate(restA);
            if (k == 0) {
                Automaton nonEmpty = rMax < 0 ? restA.concatenate(sepItem.repeat(Math.max(0, rMin - 1)))
                        : rMax == 0 ? BasicAutomata.makeEmpty() : restA.concatenate(sepItem.repeat(Math.max(0, rMin - 1), rMax - 1));
                more = rMin == 0 ? nonEmpty.union(BasicAutomata.makeEmptyString()) : nonEmpty;
                alts.add(more);
            } else {
                more = rMax < 0 ? sepItem.repeat(rMin) : sepItem.repeat(rMin, rMax);
                alts.add(seq.concatenate(more));
            }
        }
        Automaton items = alts.isEmpty() ? BasicAutomata.makeEmpty() : BasicOperations.union(alts);
        return budget.check(minimal(Utf8Automata.bytes("[").concatenate(ws).concatenate(items).concatenate(ws).concatenate(Utf8Automata.bytes("]"))));
    }

    // ---- objects

    private Automaton objectOf(Automaton value) {
        Automaton member = StringAutomata.string().concatenate(ws).concatenate(Utf8Automata.bytes(":")).concatenate(ws).concatenate(value);
        Automaton sep = ws.concatenate(Utf8Automata.bytes(",")).concatenate(ws);
        Automaton members = member.concatenate(sep.concatenate(member).repeat()).optional();
        return minimal(Utf8Automata.bytes("{").concatenate(ws).concatenate(members).concatenate(ws).concatenate(Utf8Automata.bytes("}")));
    }

    private Automaton object(JsonNode node, String ptr) {
        JsonNode props = node.path("properties");
        Set<String> required = new LinkedHashSet<>();
        node.path("required").forEach(r -> required.add(r.asText()));
        if (node.has("required")) {
            enforced.add("required");
        }
        List<String> names = new ArrayList<>();
        props.fieldNames().forEachRemaining(names::add);
        for (String r : required) {
            if (!props.has(r)) {
                throw ConstraintException.unsupported("required", ptr + "/required", "required property '" + r + "' must also be listed in 'properties'");
            }
        }
        if (node.has("properties")) {
            enforced.add("properties");
        }
        Automaton colon = ws.concatenate(Utf8Automata.bytes(":")).concatenate(ws);
        Automaton sep = ws.concatenate(Utf8Automata.bytes(",")).concatenate(ws);
        List<Automaton> members = new ArrayList<>();
        Automaton declaredKeys = BasicAutomata.makeEmpty();
        for (String name : names) {
            Automaton key;
            try {
                key = Utf8Automata.bytes(JSON.writeValueAsString(name));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            declaredKeys = declaredKeys.union(key);
            Automaton va = valueOf(compile(props.get(name), ptr + "/properties/" + escape(name)));
            members.add(key.concatenate(colon).concatenate(va));
        }
        // additional members
        Automaton extraMember = null;
        JsonNode ap = node.get("additionalProperties");
        if (ap == null || !(ap.isBoolean() && !ap.booleanValue())) {
            Lang v = ap == null ? Lang.ANY : compile(ap, ptr + "/additionalProperties");
            Automaton va = valueOf(v);
            if (v.any || !va.isEmpty()) {
                Automaton keys = minimal(StringAutomata.string().minus(declaredKeys));
                extraMember = keys.concatenate(colon).concatenate(va);
            }
        }
        if (ap != null) {
            enforced.add("additionalProperties");
        }
        int n = names.size();
        // tail[i][started]: members i.. given whether one was already written
        Automaton tailStarted;
        Automaton tailEmpty;
        if (extraMember == null) {
            tailStarted = BasicAutomata.makeEmptyString();
            tailEmpty = BasicAutomata.makeEmptyString();
        } else {
            tailStarted = sep.concatenate(extraMember).repeat();
            tailEmpty = extraMember.concatenate(sep.concatenate(extraMember).repeat()).optional();
        }
        for (int i = n - 1; i >= 0; i--) {
            budget.checkTime();
            Automaton m = members.get(i);
            boolean optional = !required.contains(names.get(i));
            Automaton started = sep.concatenate(m).concatenate(tailStarted);
            Automaton empty = m.concatenate(tailStarted);
            if (optional) {
                started = started.union(tailStarted);
                empty = empty.union(tailEmpty);
            }
            tailStarted = budget.check(minimal(started));
            tailEmpty = budget.check(minimal(empty));
        }
        return minimal(Utf8Automata.bytes("{").concatenate(ws).concatenate(tailEmpty).concatenate(ws).concatenate(Utf8Automata.bytes("}")));
    }

    private static String escape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }
}
