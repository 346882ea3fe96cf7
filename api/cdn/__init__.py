"""The CDN or caching proxy in front of the API: purges by surrogate key, and the headers
that tell such caches what a public read depends on and how long to keep it."""
