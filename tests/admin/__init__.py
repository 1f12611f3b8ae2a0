"""Tests of issue 5: appinfo, health checks, production settings, key rotation, links into Nextcloud."""
