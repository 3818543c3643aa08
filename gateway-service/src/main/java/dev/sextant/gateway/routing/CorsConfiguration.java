package dev.sextant.gateway.routing;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.cors.reactive.CorsConfigurationSource;
import org.springframework.web.cors.reactive.UrlBasedCorsConfigurationSource;

/** CORS from {@code sextant.gateway.cors.*}, applied by the security chain before authentication. */
@Configuration(proxyBeanMethods = false)
class CorsConfiguration {

    @Bean
    CorsConfigurationSource corsConfigurationSource(RoutingProperties properties) {
        UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
        RoutingProperties.Cors cors = properties.cors();
        if (!cors.allowedOrigins().isEmpty()) {
            org.springframework.web.cors.CorsConfiguration config = new org.springframework.web.cors.CorsConfiguration();
            config.setAllowedOriginPatterns(cors.allowedOrigins());
            config.setAllowedMethods(cors.allowedMethods());
            config.setAllowedHeaders(cors.allowedHeaders());
            config.setExposedHeaders(cors.exposedHeaders());
            config.setAllowCredentials(cors.allowCredentials());
            config.setMaxAge(cors.maxAge());
            source.registerCorsConfiguration("/**", config);
        }
        return source;
    }
}
