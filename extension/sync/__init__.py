"""Incremental sync of knowledge tasks and meeting replies from every organisation's Nextcloud back to the app."""
