package dev.sextant.structuredoutput.extract;

import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /v1/extract}: text in, data valid against the caller's JSON Schema out. */
@RestController
class ExtractController {

    private final ExtractService extract;

    ExtractController(ExtractService extract) {
        this.extract = extract;
    }

    @PostMapping("/v1/extract")
    ExtractResponse extract(@RequestBody ExtractRequest request) {
        return extract.extract(request);
    }
}
