package dev.sextant.support;

import org.slf4j.MDC;
import org.springframework.http.ProblemDetail;

/** Builds the one problem shape every Sextant service answers with. */
public final class Problems {

    private Problems() {
    }

    public static ProblemDetail of(ErrorCode code, String field, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(code.status(), detail);
        problem.setType(code.type());
        problem.setTitle(code.title());
        problem.setProperty("code", code.code());
        if (field != null) {
            problem.setProperty("field", field);
        }
        String requestId = MDC.get(RequestIds.MDC_KEY);
        if (requestId != null) {
            problem.setProperty("requestId", requestId);
        }
        return problem;
    }
}
