package dev.sextant.retrieval.store.lucene;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.sextant.retrieval.RetrievalProperties;

/** The embedded store, the default ({@code sextant.retrieval.store=lucene} or unset): no server needed. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "sextant.retrieval.store", havingValue = "lucene", matchIfMissing = true)
class LuceneConfiguration {

    @Bean(destroyMethod = "close")
    LuceneStore luceneStore(RetrievalProperties properties) {
        RetrievalProperties.Lucene lucene = properties.lucene();
        return new LuceneStore(lucene.path(), lucene.hnswM(), lucene.hnswBeamWidth(), lucene.commitInterval());
    }
}
