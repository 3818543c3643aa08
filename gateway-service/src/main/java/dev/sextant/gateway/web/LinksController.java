package dev.sextant.gateway.web;

import java.net.URI;
import java.util.Map;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.HtmlUtils;

import dev.sextant.gateway.routing.RoutingProperties;

/** The page at {@code /}: where the APIs, their documentation and the metrics are. */
@RestController
class LinksController {

    private final String page;

    LinksController(RoutingProperties properties) {
        this.page = render(properties.upstreams());
    }

    @GetMapping(path = {"/", "/index.html"}, produces = MediaType.TEXT_HTML_VALUE)
    String index() {
        return page;
    }

    private static String render(Map<String, URI> upstreams) {
        StringBuilder services = new StringBuilder();
        upstreams.forEach((name, uri) -> {
            String n = HtmlUtils.htmlEscape(name);
            String base = HtmlUtils.htmlEscape(uri.toString().replaceAll("/$", ""));
            services.append("<tr><td>").append(n).append("</td><td><a href=\"").append(base).append("\">").append(base)
                    .append("</a></td><td><a href=\"/swagger-ui.html?urls.primaryName=").append(n)
                    .append("\">API</a> · <a href=\"/").append(n).append("/v3/api-docs\">OpenAPI JSON</a></td><td><a href=\"")
                    .append(base).append("/actuator/prometheus\">metrics</a> · <a href=\"").append(base)
                    .append("/actuator/health\">health</a></td></tr>\n");
        });
        return """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>Sextant</title>
                <style>body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem}
                td,th{padding:.3rem .8rem;text-align:left}code{background:#f3f3f3;padding:0 .2rem}</style></head>
                <body><h1>Sextant</h1>
                <p>Self-hosted LLM platform: RAG, constrained generation, many models. Every API below is reached
                through this gateway with <code>Authorization: Bearer &lt;API key&gt;</code>.</p>
                <ul>
                <li><a href="/swagger-ui.html">Swagger UI</a>: every service's OpenAPI in one place</li>
                <li><a href="/actuator/health">Gateway health</a> · <a href="/actuator/prometheus">gateway metrics</a> (admin key)</li>
                </ul>
                <h2>Services</h2>
                <table><tr><th>service</th><th>upstream</th><th>docs</th><th>operations (cluster-internal)</th></tr>
                %s</table>
                </body></html>
                """.formatted(services);
    }
}
