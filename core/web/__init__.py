"""The web console and HTTP API (``channelhub serve``): FastAPI, Jinja2 pages, vendored htmx.

Pages and ``/api/v1`` resources are built from the same records (:mod:`core.web.views`), which
reuse the CLI's ``--json`` builders, so a field has one name in the terminal, the API and the
browser. Everything goes through core services; plugins are reached only through them.
"""
