"""Webhooks: endpoints admins register, deliveries the worker makes, the attempt log."""
