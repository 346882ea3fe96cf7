"""Posts, authors and tags: what frontends read and staff write."""
