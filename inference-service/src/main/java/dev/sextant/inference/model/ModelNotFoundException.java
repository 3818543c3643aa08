package dev.sextant.inference.model;

/** No loaded model answers to the name (model id or consumer group) the request gave. */
public class ModelNotFoundException extends RuntimeException {

    private final String name;

    public ModelNotFoundException(String name, String loaded) {
        super("The model '" + name + "' does not exist or is not loaded; loaded models: " + loaded);
        this.name = name;
    }

    public String name() {
        return name;
    }
}
