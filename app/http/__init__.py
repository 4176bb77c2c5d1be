"""The HTTP service: Sanic app, the v1 routes, request bodies and parameters, keys and
tokens, the response cache, rate limits, the search and click counters, metrics, access
log and worker supervision. It mounts app/pages; only the command line imports it."""
