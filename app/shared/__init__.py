"""What two or more of the top layer's parts need: settings, the backends chosen once,
domain names, the API's models and the one-line validation messages, the statistics'
window and queries (analytics), JSON log lines. No Sanic here, so the command line loads
without the HTTP server (tests/test_layers.py checks)."""
