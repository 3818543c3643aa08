package dev.sextant.ingestion.document;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FileNamesTests {

    @Test
    void keepsOnlyTheLastPathSegment() {
        assertThat(FileNames.clean("../../etc/passwd")).isEqualTo("passwd");
        assertThat(FileNames.clean("C:\\Users\\x\\report.pdf")).isEqualTo("report.pdf");
    }

    @Test
    void dropsControlCharactersAndDotNames() {
        assertThat(FileNames.clean("a\u0000b\r\nc.txt")).isEqualTo("abc.txt");
        assertThat(FileNames.clean("..")).isEqualTo("upload");
        assertThat(FileNames.clean(null)).isEqualTo("upload");
    }

    @Test
    void capsTheLength() {
        assertThat(FileNames.clean("x".repeat(1000))).hasSize(255);
    }

    @Test
    void derivesStableUrlSafeDocumentIds() {
        String id = DocumentIntakeService.documentId(null, "https://intranet/a b?c=d");
        assertThat(id).matches("doc-[0-9a-f]{32}").isEqualTo(DocumentIntakeService.documentId(null, "https://intranet/a b?c=d"));
        assertThat(DocumentIntakeService.documentId("my-doc.v1", "ignored")).isEqualTo("my-doc.v1");
    }
}
