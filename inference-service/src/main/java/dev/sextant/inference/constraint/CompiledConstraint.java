package dev.sextant.inference.constraint;

import dev.sextant.constraint.ConstraintArtifact;
import dev.sextant.constraint.Matcher;

/** A constraint compiled for one model's tokenizer; each sequence gets its own {@link #newMatcher()}. */
public record CompiledConstraint(String id, ConstraintArtifact artifact, ConstraintSpec spec) {

    public Matcher newMatcher() {
        return artifact.newMatcher();
    }
}
