package dev.sextant.inference.engine;

/** Compute backends of the native engine; the ordinal is the C enum value. */
public enum Backend {
    CPU, CUDA
}
