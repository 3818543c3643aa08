package dev.sextant.constraint;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What every constraint over one vocabulary shares, kept per tokenizer hash (a few vocabularies, LRU): the byte trie
 * of the tokens, and the token tables of self-contained rules (a rule that calls nothing but itself, such as "any
 * JSON value") by the rule's shape, so a second schema with the same rule reuses the tables the first computed.
 */
final class VocabularyIndex {

    private static final int VOCABULARIES = 8;
    private static final int SHARED_RULES = 64;

    private static final Map<String, VocabularyIndex> BY_HASH = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, VocabularyIndex> eldest) {
            return size() > VOCABULARIES;
        }
    };

    final TokenTrie trie;
    private final Map<String, TokenTables.Table[]> sharedRules = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, TokenTables.Table[]> eldest) {
            return size() > SHARED_RULES;
        }
    };

    private VocabularyIndex(Vocabulary vocabulary) {
        this.trie = new TokenTrie(vocabulary);
    }

    static VocabularyIndex of(Vocabulary vocabulary) {
        synchronized (BY_HASH) {
            return BY_HASH.computeIfAbsent(vocabulary.hash() + "/" + vocabulary.size(), h -> new VocabularyIndex(vocabulary));
        }
    }

    /** The table row shared by every grammar whose rule has this shape ({@code states} entries, filled lazily). */
    TokenTables.Table[] sharedRule(String shape, int states) {
        synchronized (sharedRules) {
            return sharedRules.computeIfAbsent(shape, k -> new TokenTables.Table[states]);
        }
    }
}
