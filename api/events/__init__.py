"""The transactional outbox: every change worth telling, recorded with the change."""
