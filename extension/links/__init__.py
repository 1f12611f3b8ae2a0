"""Personal links: signed, expiring, revocable, one per person and network (members without the host's Nextcloud)."""
