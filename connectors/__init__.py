"""Clients for the Nextcloud APIs used by Lerend Netwerk (OAuth2, OCS, WebDAV files, CalDAV); no Flask here."""
