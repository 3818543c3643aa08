package dev.sextant.constraint;

import java.util.Arrays;

/** A byte trie over the vocabulary: node 0 is the root; tokens with equal bytes share a node. */
final class TokenTrie {

    int[] firstChild = new int[1024];  // (node) first child or -1
    int[] nextSibling = new int[1024]; // (node) next sibling or -1
    int[] label = new int[1024];       // (node) byte on the edge into it
    int[] firstToken = new int[1024];  // (node) first token ending here or -1
    final int[] nextToken;             // (token) next token with the same bytes or -1
    int nodes = 1;

    TokenTrie(Vocabulary vocab) {
        nextToken = new int[vocab.size()];
        firstChild[0] = -1;
        nextSibling[0] = -1;
        firstToken[0] = -1;
        for (int t = 0; t < vocab.size(); t++) {
            byte[] bytes = vocab.tokens()[t];
            nextToken[t] = -1;
            if (bytes.length == 0) {
                continue;
            }
            int node = 0;
            for (byte value : bytes) {
                node = child(node, value & 0xFF);
            }
            nextToken[t] = firstToken[node];
            firstToken[node] = t;
        }
    }

    private int child(int node, int b) {
        for (int c = firstChild[node]; c >= 0; c = nextSibling[c]) {
            if (label[c] == b) {
                return c;
            }
        }
        if (nodes == label.length) {
            int n = nodes * 2;
            firstChild = Arrays.copyOf(firstChild, n);
            nextSibling = Arrays.copyOf(nextSibling, n);
            label = Arrays.copyOf(label, n);
            firstToken = Arrays.copyOf(firstToken, n);
        }
        int c = nodes++;
        label[c] = b;
        firstChild[c] = -1;
        firstToken[c] = -1;
        nextSibling[c] = firstChild[node];
        firstChild[node] = c;
        return c;
    }
}
