package dev.sextant.inference.scheduler;

/** Lets the caller stop a submitted generation (a client disconnect): its KV blocks are freed within one step. */
public interface GenerationHandle {

    void cancel();

    boolean isCancelled();
}
