"""Staff API tokens, roles and the one place that decides who may do what."""
