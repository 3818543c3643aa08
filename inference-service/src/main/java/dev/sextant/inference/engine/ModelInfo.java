package dev.sextant.inference.engine;

/** Hyper-parameters and size of a loaded model. */
public record ModelInfo(String architecture, int vocabularySize, int embeddingLength, int layers, int heads, int kvHeads,
        int headDim, int feedForwardLength, int trainedContextLength, long parameters, long weightBytes) {
}
