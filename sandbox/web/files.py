"""The Files page: a folder listing at `/index.php/apps/files/?dir=…` and a read-only viewer for documents.

The URL forms are Nextcloud's (server apps/files ViewController): `?dir=` lists a folder, `/f/<id>` redirects
to `/apps/files/files/<id>?dir=<parent>&openfile=true`, which opens the file. Markdown is rendered with
markdown-it-py with raw HTML off, so a document can never inject markup into the page.
"""

from urllib.parse import quote, urlencode

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


def _listing(page, folder, status=200, message=""):
    nodes = filetree.children(page.org, page.uid, folder)
    entries = [{"node": n, "url": folder_url(n.path) if n.is_dir else file_url(n)} for n in nodes]
    return page.render("web/files.html", status=status, folder=folder, entries=entries,
                       crumbs=_crumbs(folder.path), message=message)


def _missing(page, message):
    root = filetree.resolve(page.org, page.uid, "/")
    return _listing(page, root, status=404, message=message)


def index(page):
    args = page.request.args
    folder = filetree.resolve(page.org, page.uid, args.get("dir", "/"))
    if folder is None or not folder.is_dir:
        return _missing(page, "Deze map bestaat niet (meer), of is niet met je gedeeld. Je ziet nu al je bestanden.")
    openfile = args.get("openfile", "")
    if openfile.isdigit():  # the older form: ?dir=…&openfile=<id>
        return by_id(page, int(openfile))
    if args.get("fileNotFound"):
        return _listing(page, folder, status=404, message="Dit bestand bestaat niet (meer), of is niet met je gedeeld.")
    return _listing(page, folder)


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
