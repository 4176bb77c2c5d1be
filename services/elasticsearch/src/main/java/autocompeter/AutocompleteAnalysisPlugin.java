package autocompeter;

import java.util.Map;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.ngram.EdgeNGramTokenFilter;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * The two token filters scaled/mapping.py uses that live in Elasticsearch's analysis-common
 * module, which is not published to Maven Central: {@code edge_ngram} and {@code asciifolding},
 * each straight onto Lucene's own filter with the module's setting names and defaults.
 * ({@code standard} and {@code lowercase} are in the server jar.)
 */
public final class AutocompleteAnalysisPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "edge_ngram", (indexSettings, environment, name, settings) -> edgeNGram(name, settings),
            "asciifolding", (indexSettings, environment, name, settings) -> asciiFolding(name, settings));
    }

    private static TokenFilterFactory edgeNGram(String name, Settings settings) {
        int minGram = settings.getAsInt("min_gram", 1);
        int maxGram = settings.getAsInt("max_gram", 2);
        boolean preserveOriginal = settings.getAsBoolean("preserve_original", false);
        return new AbstractTokenFilterFactory(name) {
            @Override
            public TokenStream create(TokenStream stream) {
                return new EdgeNGramTokenFilter(stream, minGram, maxGram, preserveOriginal);
            }
        };
    }

    private static TokenFilterFactory asciiFolding(String name, Settings settings) {
        boolean preserveOriginal = settings.getAsBoolean("preserve_original", false);
        return new AbstractTokenFilterFactory(name) {
            @Override
            public TokenStream create(TokenStream stream) {
                return new ASCIIFoldingFilter(stream, preserveOriginal);
            }

            // Folding also applies to normalized (prefix, wildcard) query terms, as in ES.
            @Override
            public TokenStream normalize(TokenStream stream) {
                return new ASCIIFoldingFilter(stream, false);
            }
        };
    }
}
