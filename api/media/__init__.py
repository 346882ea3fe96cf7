"""Media: uploaded images, checked and resized with Pillow, kept in a storage backend
(a local folder or S3-compatible object storage) and served at immutable URLs."""
