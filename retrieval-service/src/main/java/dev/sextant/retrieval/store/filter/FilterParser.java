package dev.sextant.retrieval.store.filter;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;
import tools.jackson.databind.JsonNode;

/**
 * Reads the JSON filter of a search request into a {@link Filter}, rejecting anything it does not understand
 * with a 400 that names the offending place ({@code filter.filters[1].field}).
 */
public final class FilterParser {

    /** A dotted path of identifiers: the only field names a filter may use. */
    public static final Pattern FIELD = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}(\\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,7}");
    private static final int MAX_DEPTH = 16;
    private static final int MAX_IN = 1024;

    private FilterParser() {
    }

    /** Null or JSON null means no filter. */
    public static Filter parse(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return Filter.NONE;
        }
        return parse(node, "filter", 0);
    }

    private static Filter parse(JsonNode node, String at, int depth) {
        if (depth > MAX_DEPTH) {
            throw invalid(at, "Filter nests deeper than " + MAX_DEPTH + " levels");
        }
        if (!node.isObject()) {
            throw invalid(at, "A filter is an object with an 'op' member");
        }
        JsonNode op = node.get("op");
        if (op == null || !op.isString()) {
            throw invalid(at + ".op", "'op' is required: one of eq, in, range, and, or, not");
        }
        return switch (op.asString()) {
            case "eq" -> {
                allow(node, at, "op", "field", "value");
                yield new Filter.Eq(field(node, at), scalar(node.get("value"), at + ".value"));
            }
            case "in" -> {
                allow(node, at, "op", "field", "values");
                JsonNode values = node.get("values");
                if (values == null || !values.isArray() || values.isEmpty() || values.size() > MAX_IN) {
                    throw invalid(at + ".values", "'values' must be an array of 1 to " + MAX_IN + " scalars");
                }
                List<Object> list = new ArrayList<>();
                for (int i = 0; i < values.size(); i++) {
                    list.add(scalar(values.get(i), at + ".values[" + i + "]"));
                }
                yield new Filter.In(field(node, at), List.copyOf(list));
            }
            case "range" -> {
                allow(node, at, "op", "field", "gt", "gte", "lt", "lte");
                BigDecimal gt = number(node, "gt", at);
                BigDecimal gte = number(node, "gte", at);
                BigDecimal lt = number(node, "lt", at);
                BigDecimal lte = number(node, "lte", at);
                if (gt == null && gte == null && lt == null && lte == null) {
                    throw invalid(at, "A range needs at least one of gt, gte, lt, lte");
                }
                if (gt != null && gte != null || lt != null && lte != null) {
                    throw invalid(at, "Give at most one lower bound (gt or gte) and one upper bound (lt or lte)");
                }
                yield new Filter.Range(field(node, at), gt, gte, lt, lte);
            }
            case "and", "or" -> {
                allow(node, at, "op", "filters");
                JsonNode filters = node.get("filters");
                if (filters == null || !filters.isArray()) {
                    throw invalid(at + ".filters", "'filters' must be an array of filters");
                }
                List<Filter> list = new ArrayList<>();
                for (int i = 0; i < filters.size(); i++) {
                    list.add(parse(filters.get(i), at + ".filters[" + i + "]", depth + 1));
                }
                yield op.asString().equals("and") ? new Filter.And(List.copyOf(list)) : new Filter.Or(List.copyOf(list));
            }
            case "not" -> {
                allow(node, at, "op", "filter");
                JsonNode inner = node.get("filter");
                if (inner == null) {
                    throw invalid(at + ".filter", "'not' needs a 'filter'");
                }
                yield new Filter.Not(parse(inner, at + ".filter", depth + 1));
            }
            default -> throw invalid(at + ".op", "Unknown op '" + op.asString() + "': use eq, in, range, and, or, not");
        };
    }

    private static void allow(JsonNode node, String at, String... names) {
        Set<String> allowed = new HashSet<>(List.of(names));
        for (String name : node.propertyNames()) {
            if (!allowed.contains(name)) {
                throw invalid(at + "." + name, "Unknown member '" + name + "'; allowed here: " + String.join(", ", names));
            }
        }
    }

    private static String field(JsonNode node, String at) {
        JsonNode field = node.get("field");
        if (field == null || !field.isString() || !FIELD.matcher(field.asString()).matches()) {
            throw invalid(at + ".field", "'field' must be a metadata path matching " + FIELD.pattern());
        }
        return field.asString();
    }

    private static Object scalar(JsonNode value, String at) {
        if (value == null || value.isNull()) {
            throw invalid(at, "A value is required (string, number or boolean)");
        }
        if (value.isString()) {
            return value.asString();
        }
        if (value.isNumber()) {
            return value.decimalValue();
        }
        if (value.isBoolean()) {
            return value.asBoolean();
        }
        throw invalid(at, "Values must be strings, numbers or booleans");
    }

    private static BigDecimal number(JsonNode node, String name, String at) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isNumber()) {
            throw invalid(at + "." + name, "Range bounds must be numbers");
        }
        return value.decimalValue();
    }

    private static SextantException invalid(String field, String detail) {
        return new SextantException(ErrorCode.VALIDATION, field, detail);
    }
}
