package dev.plinth.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.models.Reranker;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.List;

/**
 * {@code POST /v1/rerank}: Jina's reranker API. Body {@code {model?, query, documents: [string |
 * {text}], top_n?, return_documents? (default true)}}; answer {@link RerankResponse}.
 */
final class RerankRoutes implements RouteGroup {

    private final Reranker reranker;

    RerankRoutes(Reranker reranker) {
        this.reranker = reranker;
    }

    @Override
    public void register(Javalin app) {
        app.post("/v1/rerank", this::rerank);
    }

    private void rerank(Context ctx) {
        ObjectNode body = ModelRequests.body(ctx);
        String model = ModelRequests.string(body, "model", null);
        String query = ModelRequests.requiredString(body, "query");
        if (!body.path("documents").isArray())
            throw ModelRequests.invalid(
                    "'documents' must be a list of strings or {\"text\": ...} objects");
        List<String> documents = ModelRequests.texts(body, "documents", Reranker.MAX_DOCUMENTS);
        Integer topN = ModelRequests.integer(body, "top_n");
        boolean returnDocuments = ModelRequests.bool(body, "return_documents", true);
        Reranker.Ranking ranking =
                ModelRequests.call(() -> reranker.rerank(model, query, documents, topN));
        ctx.json(RerankResponse.of(ranking, returnDocuments ? documents : null));
    }
}
