package dev.sextant.inference.scheduler;

/** Why a sequence ended, with OpenAI's wire names. */
public enum FinishReason {
    STOP("stop"), LENGTH("length"), CANCELLED("cancelled"), TIMEOUT("timeout"), ERROR("error");

    private final String wireName;

    FinishReason(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
