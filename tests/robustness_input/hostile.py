"""Hostile inputs that the issue measured: an alias bomb, deep nesting, hostile text for documents."""

# 396 bytes that expand to 9⁹ (387 million) values: each line lists the previous one nine times.
ALIAS_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lo","lo"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""

SCRIPT = "<script>alert(1)</script>"
PLACEHOLDER = "{{ 7*7 }}"
LINK = "[x](http://evil.example)"
HOSTILE = f"{SCRIPT} {PLACEHOLDER} {LINK}"
