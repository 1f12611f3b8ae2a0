"""Learning networks: the domain model, creating a network from a network file, and launching it into Nextcloud."""
