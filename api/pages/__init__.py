"""Pages people look at: the moderation console (/console/) and the API reference (/docs/)."""
