package dev.sextant.support;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.Ordered;

import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.type.LogicalType;

/** Wires the shared error model, request ids and outbound header propagation into every servlet service. */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@Import(ProblemDetailsAdvice.class)
public class ServiceSupportAutoConfiguration {

    @Bean
    FilterRegistrationBean<RequestIdFilter> sextantRequestIdFilter() {
        FilterRegistrationBean<RequestIdFilter> registration = new FilterRegistrationBean<>(new RequestIdFilter());
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        return registration;
    }

    /**
     * A number or boolean where a request field wants text is refused (a 400 naming the field) instead of being
     * turned into "7" or "true" and processed, which Jackson does by default.
     */
    @Bean
    JsonMapperBuilderCustomizer sextantNoCoercionToText() {
        return builder -> builder.withCoercionConfig(LogicalType.Textual, c -> c
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail));
    }

    /** Every RestClient built from Boot's builder carries request id and tenant (and traceparent, via Micrometer). */
    @Bean
    RestClientCustomizer sextantOutboundHeaders() {
        return builder -> builder.requestInterceptor(new OutboundRequestIdInterceptor());
    }
}
