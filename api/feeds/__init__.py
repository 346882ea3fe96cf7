"""Feeds for readers and aggregators: Atom 1.0 and JSON Feed 1.1 documents."""
