package dev.sextant.structuredoutput.compiler;

import java.util.Map;
import java.util.Set;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import dk.brics.automaton.RegExp;

/**
 * String formats as regular languages (brics syntax, over the decoded string). Calendar facts a regular
 * language cannot hold cheaply (February 30th, leap seconds on the right day) are left to post-validation.
 */
final class Formats {

    private static final String DEC_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    private static final String IPV4 = DEC_OCTET + "\\." + DEC_OCTET + "\\." + DEC_OCTET + "\\." + DEC_OCTET;
    private static final String H16 = "[0-9a-fA-F]{1,4}";
    private static final String LS32 = "(" + H16 + ":" + H16 + "|" + IPV4 + ")";
    private static final String IPV6 = "("
            + "(" + H16 + ":){6}" + LS32
            + "|::(" + H16 + ":){5}" + LS32
            + "|(" + H16 + ")?::(" + H16 + ":){4}" + LS32
            + "|((" + H16 + ":){0,1}" + H16 + ")?::(" + H16 + ":){3}" + LS32
            + "|((" + H16 + ":){0,2}" + H16 + ")?::(" + H16 + ":){2}" + LS32
            + "|((" + H16 + ":){0,3}" + H16 + ")?::" + H16 + ":" + LS32
            + "|((" + H16 + ":){0,4}" + H16 + ")?::" + LS32
            + "|((" + H16 + ":){0,5}" + H16 + ")?::" + H16
            + "|((" + H16 + ":){0,6}" + H16 + ")?::)";
    private static final String DATE = "[0-9]{4}\\-(0[1-9]|1[0-2])\\-(0[1-9]|[12][0-9]|3[01])";
    private static final String TIME = "([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?([Zz]|[+\\-]([01][0-9]|2[0-3]):[0-5][0-9])";
    // RFC 3339 allows any number of fraction digits, but validators read a lone "time" as java.time does (nanoseconds),
    // and the suite expects 15-digit fractions in date-time to pass: so only "time" stops at 9 digits, so that what
    // the mask lets through validates everywhere (found by ConstraintGuaranteeIT on the real models).
    private static final String TIME_OF_DAY = "([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]{1,9})?([Zz]|[+\\-]([01][0-9]|2[0-3]):[0-5][0-9])";
    private static final String LABEL = "[a-zA-Z0-9]([a-zA-Z0-9\\-]{0,61}[a-zA-Z0-9])?";
    private static final String HOSTNAME = LABEL + "(\\." + LABEL + ")*";
    private static final String EMAIL_LOCAL = "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~\\-]+(\\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~\\-]+)*";
    private static final String EMAIL = EMAIL_LOCAL + "@" + HOSTNAME;
    private static final String URI = "[a-zA-Z][a-zA-Z0-9+.\\-]*:([a-zA-Z0-9\\-._~!$&'()*+,;=:@/?#\\[\\]]|%[0-9a-fA-F][0-9a-fA-F])*";
    private static final String UUID = "[0-9a-fA-F]{8}\\-[0-9a-fA-F]{4}\\-[0-9a-fA-F]{4}\\-[0-9a-fA-F]{4}\\-[0-9a-fA-F]{12}";

    static final Map<String, String> PATTERNS = Map.of(
            "date", DATE,
            "time", TIME_OF_DAY,
            "date-time", DATE + "[Tt]" + TIME,
            "email", EMAIL,
            "uuid", UUID,
            "uri", URI,
            "ipv4", IPV4,
            "ipv6", IPV6,
            "hostname", HOSTNAME);

    static Set<String> names() {
        return PATTERNS.keySet();
    }

    private static final Map<String, Automaton> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    /** The char automaton of a format (built once, returned as a copy), or null when the format is not supported. */
    static Automaton automaton(String format) {
        if (!PATTERNS.containsKey(format)) {
            return null;
        }
        return CACHE.computeIfAbsent(format, Formats::build).clone();
    }

    private static Automaton build(String format) {
        if (format.equals("hostname")) {
            return hostname();
        }
        if (format.equals("email")) {
            return new RegExp(EMAIL_LOCAL + "@", RegExp.NONE).toAutomaton().concatenate(hostname());
        }
        String regex = PATTERNS.get(format);
        if (regex == null) {
            return null;
        }
        return new RegExp(regex.replace("\"", "\\\""), RegExp.NONE).toAutomaton();
    }

    /**
     * LDH labels without "--" in the third and fourth position: A-labels (punycode, "xn--") are refused rather
     * than let through unchecked, since their validity (IDNA) is not a regular property we hold.
     */
    private static Automaton hostname() {
        // label length (63) is left to post-validation: a counter of 63 states per label multiplies the token
        // tables for little gain
        Automaton label = new RegExp("[a-zA-Z0-9]([a-zA-Z0-9\\-]*[a-zA-Z0-9])?", RegExp.NONE).toAutomaton()
                .minus(new RegExp("[a-zA-Z0-9][a-zA-Z0-9]\\-\\-[a-zA-Z0-9\\-]*", RegExp.NONE).toAutomaton());
        Automaton dotLabel = BasicAutomata.makeChar('.').concatenate(label);
        Automaton a = label.concatenate(dotLabel.repeat());
        a.minimize();
        return a;
    }

    private Formats() {
    }
}
