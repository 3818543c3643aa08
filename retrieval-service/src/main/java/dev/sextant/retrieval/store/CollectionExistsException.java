package dev.sextant.retrieval.store;

/** A collection of that name already exists for the tenant. */
public class CollectionExistsException extends RuntimeException {

    public CollectionExistsException(String name) {
        super("A collection named '" + name + "' already exists");
    }
}
