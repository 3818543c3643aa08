package dev.sextant.ingestion.document;

import java.io.IOException;
import java.util.Map;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

import dev.sextant.ingestion.IngestionErrors;
import dev.sextant.ingestion.IngestionProperties;
import dev.sextant.support.SextantException;

/**
 * Caps the JSON body of a document upload (multipart uploads have their own limit): a body that declares or
 * reaches more than {@code limits.max-json-size} bytes is refused with 413 while it is being read, before it
 * could fill the heap.
 */
@Component
class JsonBodyLimitFilter extends OncePerRequestFilter {

    private final long maxBytes;

    JsonBodyLimitFilter(IngestionProperties properties) {
        this.maxBytes = properties.limits().maxJsonSize().toBytes();
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String type = request.getContentType();
        return !"POST".equals(request.getMethod()) || type == null
                || !type.toLowerCase(java.util.Locale.ROOT).startsWith(MediaType.APPLICATION_JSON_VALUE)
                || !request.getRequestURI().startsWith("/v1/collections/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        chain.doFilter(new HttpServletRequestWrapper(request) {
            private ServletInputStream limited;

            @Override
            public ServletInputStream getInputStream() throws IOException {
                if (limited == null) {
                    limited = new Limited(request.getInputStream(), request.getContentLengthLong());
                }
                return limited;
            }
        }, response);
    }

    private SextantException tooLarge() {
        return new SextantException(IngestionErrors.DOCUMENT_TOO_LARGE, null, "The JSON body passes the limit of "
                + maxBytes + " bytes; send large documents as multipart files", Map.of("limit", "json-size"), null);
    }

    private final class Limited extends ServletInputStream {

        private final ServletInputStream in;
        private final long declared;
        private long read;

        Limited(ServletInputStream in, long declared) {
            this.in = in;
            this.declared = declared;
        }

        private void check(long n) {
            if (declared > maxBytes) {
                throw tooLarge();
            }
            if (n > 0) {
                read += n;
                if (read > maxBytes) {
                    throw tooLarge();
                }
            }
        }

        @Override
        public int read() throws IOException {
            check(0);
            int b = in.read();
            check(b < 0 ? 0 : 1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            check(0);
            int n = in.read(b, off, len);
            check(n);
            return n;
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
