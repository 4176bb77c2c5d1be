"""The HTTP service: Sanic app, the v1 routes, request bodies, keys and tokens, the response
cache, rate limits, counters, metrics, access log and worker supervision."""
