"""Other CMSs' read APIs over ours: WordPress REST API v2 and the Ghost Content API.

Everything here is app-free: pure functions from our `/v1` JSON representations to the
shapes WordPress and Ghost send, the request-side parsing of their query parameters,
and Ghost's NQL filter language (parser, printer, SQL compiler). No Flask request
objects, no models: the HTTP adapters call services and hand the results in.

Modules:
- `nql`, `nql_sql`: Ghost's filter language, parsed for real and compiled to bound SQL.
- `ids`: the Ghost-style ids and uuids our integer ids are shown as.
- `wordpress`, `wp_links`, `wp_request`, `wp_index`: WordPress shapes, links and
  embedding, query parameters and errors, and the `/wp-json/` index document.
- `ghost`, `ghost_request`: Ghost shapes, query parameters, pagination and errors.
"""
