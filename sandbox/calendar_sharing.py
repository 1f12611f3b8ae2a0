"""Nextcloud's calendar sharing extension: the `oc:share` POST and the `oc:invite` property
(Nextcloud: apps/dav/lib/DAV/Sharing/Plugin.php).

Hand-written because it is Nextcloud's own protocol (apps/dav/lib/DAV/Sharing); Radicale has no
equivalent.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass

DAV = "DAV:"
OC = "http://owncloud.org/ns"
USER_PREFIX = "principal:principals/users/"
GROUP_PREFIX = "principal:principals/groups/"


@dataclass
class Sharee:
    href: str  # "principal:principals/users/<uid>" or ".../groups/<gid>", as the invite property shows it
    read_write: bool
    common_name: str
    summary: str = ""


def handle_post(org, owner, calendar_uri, body):
    """Apply an `o:share` body; unknown, malformed or self hrefs are skipped silently and the answer is
    always 200 with `X-Sabre-Status: everything-went-well` and no body (quirk `calendar_share_silent_skip`)."""
    from sandbox.dav import Response, dav_error

    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return dav_error(400, "Sabre\\DAV\\Exception\\BadRequest", "The request body is not valid XML")
    if root.tag != f"{{{OC}}}share":
        return dav_error(400, "Sabre\\DAV\\Exception\\BadRequest", "Unexpected POST body")
    for element in root:
        href = (element.findtext(f"{{{DAV}}}href") or "").strip()
        if element.tag == f"{{{OC}}}set":
            sharee = _resolve(org, owner, href)
            if sharee is None:
                continue
            sharee.read_write = element.find(f"{{{OC}}}read-write") is not None
            sharee.summary = element.findtext(f"{{{OC}}}summary") or ""
            sharee.common_name = element.findtext(f"{{{OC}}}common-name") or sharee.common_name
            org.set_calendar_sharee(owner, calendar_uri, sharee)
        elif element.tag == f"{{{OC}}}remove":
            org.remove_calendar_sharee(owner, calendar_uri, href)
    return Response(200, [("X-Sabre-Status", "everything-went-well")], b"")


def _resolve(org, owner, href):
    """A Sharee for a user or group href that exists and is not the owner, else None."""
    users = org.state.users
    if href.startswith(USER_PREFIX):
        uid = href[len(USER_PREFIX):].strip("/")
        user = users.get(uid)
        if user is None or uid == owner or "/" in uid:
            return None
        return Sharee(USER_PREFIX + uid, False, user.display_name)
    if href.startswith(GROUP_PREFIX):
        gid = href[len(GROUP_PREFIX):].strip("/")
        if not gid or gid not in {g for user in users.values() for g in user.groups}:
            return None
        return Sharee(GROUP_PREFIX + gid, False, gid)
    return None


def invite_element(org, owner, calendar_uri):
    """The `oc:invite` value in the shape of apps/dav/lib/DAV/Sharing/Xml/Invite.php: per sharee an
    `oc:user` with `d:href`, `oc:common-name`, `oc:invite-accepted`, `oc:access` and `oc:summary`."""
    invite = ET.Element(f"{{{OC}}}invite")
    for sharee in org.calendar_sharee_records(owner, calendar_uri):
        user = ET.SubElement(invite, f"{{{OC}}}user")
        ET.SubElement(user, f"{{{DAV}}}href").text = sharee.href
        if sharee.common_name:
            ET.SubElement(user, f"{{{OC}}}common-name").text = sharee.common_name
        ET.SubElement(user, f"{{{OC}}}invite-accepted")
        access = ET.SubElement(user, f"{{{OC}}}access")
        ET.SubElement(access, f"{{{OC}}}read-write" if sharee.read_write else f"{{{OC}}}read")
        if sharee.summary:
            ET.SubElement(user, f"{{{OC}}}summary").text = sharee.summary
    return invite
