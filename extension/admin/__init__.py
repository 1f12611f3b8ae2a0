"""Administration: health checks of the app and the organisations' Nextclouds, key rotation, the manifest."""
