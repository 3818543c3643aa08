package dev.sextant.support;

import java.io.IOException;

import org.slf4j.MDC;
import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;

/** Passes the current request id and tenant on to the next service (traceparent is added by Micrometer). */
class OutboundRequestIdInterceptor implements ClientHttpRequestInterceptor {

    @Override
    public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution)
            throws IOException {
        String requestId = MDC.get(RequestIds.MDC_KEY);
        if (requestId != null && !request.getHeaders().containsHeader(RequestIds.HEADER)) {
            request.getHeaders().set(RequestIds.HEADER, requestId);
        }
        String tenant = MDC.get("tenant");
        if (tenant != null && !request.getHeaders().containsHeader(Tenants.HEADER)) {
            request.getHeaders().set(Tenants.HEADER, tenant);
        }
        return execution.execute(request, body);
    }
}
