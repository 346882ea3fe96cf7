"""Other CMSs' read APIs over ours: WordPress REST API v2 and the Ghost Content API.

Everything here is app-free: pure functions from our `/v1` JSON representations to the
shapes WordPress and Ghost send, the request-side parsing of their query parameters,
and Ghost's NQL filter language (parser, printer, SQL compiler). No Flask request
objects, no models: the HTTP adapters call services and hand the results in.

Modules:
- `nql`, `nql_sql`: Ghost's filter language, parsed for real and compiled to bound SQL.
- `ids`: the Ghost-style ids and uuids our integer ids are shown as.
- `wordpress`: WordPress shapes and their links; `wp_render`: compact links, `_embed`,
  `_fields`, `_envelope`; `wp_request`: routes, list arguments, paging, discovery,
  comment submission; `wp_errors`: WordPress's error shape; `wp_index`: `/wp-json/`.
- `ghost`, `ghost_request`: Ghost shapes, query parameters, pagination and errors.
"""
