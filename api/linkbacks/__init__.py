"""Pingbacks and Webmentions: between our own posts, and with the rest of the web."""
