"""The Files page: a folder listing at `/index.php/apps/files/?dir=…` and a read-only viewer for documents.

The URL forms are Nextcloud's (server apps/files ViewController): `?dir=` lists a folder, `/f/<id>` redirects
to `/apps/files/files/<id>?dir=<parent>&openfile=true`, which opens the file. Markdown is rendered with
markdown-it-py with raw HTML off, so a document can never inject markup into the page.
"""

from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from markdown_it import MarkdownIt
from werkzeug.utils import redirect

from sandbox.web import filetree

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
_MARKDOWN_SUFFIXES = (".md", ".markdown")
_TEXT_SUFFIXES = (".txt", ".csv", ".ics", ".vcf", ".json", ".yml", ".yaml")
_VIEWER_LIMIT = 2_000_000  # bytes; larger documents are not shown inline


def folder_url(path):
    return "/index.php/apps/files/?" + urlencode({"dir": path}, quote_via=quote, safe="/")


def file_url(node):
    query = urlencode({"dir": node.parent, "openfile": "true"}, quote_via=quote, safe="/")
    return f"/index.php/apps/files/files/{node.file_id}?{query}"


def _crumbs(path):
    crumbs, current = [("Alle bestanden", folder_url("/"))], ""
    for part in [p for p in path.split("/") if p]:
        current += "/" + part
        crumbs.append((part, folder_url(current)))
    return crumbs


@dataclass(frozen=True)
class Pending:
    """A federated share the user has not accepted yet, as the Files app offers it
    (Nextcloud: apps/files_sharing/lib/External/Manager.php)."""

    id: int
    name: str
    shared_by: str


def _pending(page):
    # The share's name is "/<folder>" (Nextcloud keeps the leading slash); it mounts under the folder's name.
    return [Pending(s.id, s.name.strip("/").rsplit("/", 1)[-1], f"{s.owner}@{urlsplit(s.remote).netloc or s.remote}")
            for s in page.org.state.remote_shares_for(page.uid, accepted=False)]


def _listing(page, folder, status=200, message=""):
    nodes = filetree.children(page.org, page.uid, folder)
    entries = [{"node": n, "url": folder_url(n.path) if n.is_dir else file_url(n)} for n in nodes]
    pending = _pending(page) if folder.path == "/" else []
    return page.render("web/files.html", status=status, folder=folder, entries=entries,
                       crumbs=_crumbs(folder.path), message=message, pending=pending)


def _missing(page, message):
    root = filetree.resolve(page.org, page.uid, "/")
    return _listing(page, root, status=404, message=message)


def index(page):
    args = page.request.args
    folder = filetree.resolve(page.org, page.uid, args.get("dir", "/"))
    if folder is None or not folder.is_dir:
        wanted = (filetree.normalise(args.get("dir", "/")) or "/").lstrip("/").partition("/")[0]
        waiting = next((p for p in _pending(page) if p.name == wanted), None)
        if waiting is not None:
            # A link to a folder shared from another Nextcloud that is still waiting for the user's "accept".
            root = filetree.resolve(page.org, page.uid, "/")
            return _listing(page, root, message=f"De map \"{waiting.name}\" is met je gedeeld door "
                                                f"{waiting.shared_by}. Accepteer de share hieronder om hem te openen.")
        return _missing(page, "Deze map bestaat niet (meer), of is niet met je gedeeld. Je ziet nu al je bestanden.")
    openfile = args.get("openfile", "")
    if openfile.isdigit():  # the older form: ?dir=…&openfile=<id>
        return by_id(page, int(openfile))
    if args.get("fileNotFound"):
        return _listing(page, folder, status=404, message="Dit bestand bestaat niet (meer), of is niet met je gedeeld.")
    return _listing(page, folder)


def answer_pending(page, share_id):
    """Accept or decline a pending federated share (OCS `remote_shares/pending/<id>`,
    apps/files_sharing/lib/Controller/RemoteController.php)."""
    form = page.checked_form()
    state = page.org.state
    with state.lock:
        share = state.remote_shares.get(share_id)
        if share is None or share.user != page.uid or share.accepted:
            return page.back(folder_url("/"), "Deze share wacht niet (meer) op je antwoord.")
        if form.get("answer") == "accept":
            share.accepted = True
        else:
            state.remote_shares.pop(share_id, None)
    name = share.name.strip("/").rsplit("/", 1)[-1]
    if form.get("answer") == "accept":
        return page.back(folder_url("/" + name), f"Je hebt \"{name}\" geaccepteerd.")
    return page.back(folder_url("/"), f"Je hebt \"{name}\" afgewezen.")


def by_id(page, fileid):
    node = filetree.find(page.org, page.uid, fileid)
    if node is None:
        return _missing(page, "Dit bestand bestaat niet (meer), of is niet met je gedeeld.")
    if node.is_dir:
        return _listing(page, node)
    return _viewer(page, node)


def permalink(page, fileid):
    node = filetree.find(page.org, page.uid, fileid)
    if node is None:
        return redirect("/index.php/apps/files/?fileNotFound=1", 302)
    if node.is_dir:
        return redirect(f"/index.php/apps/files/files/{fileid}?" + urlencode({"dir": node.path}, quote_via=quote,
                                                                            safe="/"), 302)
    return redirect(file_url(node), 302)


def _viewer(page, node):
    name = node.name.lower()
    html = text = None
    if node.size <= _VIEWER_LIMIT:
        if name.endswith(_MARKDOWN_SUFFIXES):
            html = _MARKDOWN.render(node.local.read_text("utf-8", errors="replace"))
        elif name.endswith(_TEXT_SUFFIXES):
            text = node.local.read_text("utf-8", errors="replace")
    return page.render("web/file.html", node=node, html=html, text=text, crumbs=_crumbs(node.parent),
                       folder_url=folder_url(node.parent))
