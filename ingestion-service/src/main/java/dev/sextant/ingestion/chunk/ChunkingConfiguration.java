package dev.sextant.ingestion.chunk;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.sextant.ingestion.IngestionProperties;

@Configuration(proxyBeanMethods = false)
class ChunkingConfiguration {

    @Bean(destroyMethod = "close")
    MiniLmTokenCounter miniLmTokenCounter() {
        return new MiniLmTokenCounter();
    }

    @Bean
    Chunker chunker(MiniLmTokenCounter tokens, IngestionProperties properties) {
        return new Chunker(tokens, properties.chunking().maxTokens(), properties.chunking().overlapTokens());
    }
}
