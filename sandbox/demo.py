"""Demo organisations and users of the sandbox, shared by `python -m sandbox`, `lerend-netwerk demo` and the
test fixture; `role` is the user's role in the demo network (None: not a member)."""

from dataclasses import dataclass, field

FUNCTIONAL_ACCOUNT = "lerend-netwerk"


@dataclass(frozen=True)
class DemoUser:
    uid: str
    display_name: str
    groups: tuple = ()
    role: str | None = None
    expertise: str = ""

    @property
    def password(self):
        return self.uid


@dataclass(frozen=True)
class DemoOrg:
    key: str
    name: str
    kind: str
    domain: str
    users: tuple = field(default_factory=tuple)
    connection_user: str = FUNCTIONAL_ACCOUNT

    def email(self, uid):
        return f"{uid}@{self.domain}"


DEMO_ORGS = (
    DemoOrg("a", "Kinderopvang De Zonnebloem", "kinderopvang", "zonnebloem.example", (
        DemoUser("anna", "Anna de Vries", ("medewerkers", "taalteam"), "kartrekker", "pedagogisch coach"),
        DemoUser("bram", "Bram Jansen", ("medewerkers",), "deelnemer", "pedagogisch medewerker"),
        DemoUser("chantal", "Chantal Bakker", ("medewerkers", "taalteam"), "deelnemer",
                 "pedagogisch medewerker peuters"),
        DemoUser("daan", "Daan Visser", ("leidinggevenden",), "manager", "leidinggevende"),
        DemoUser(FUNCTIONAL_ACCOUNT, "Lerend Netwerk", ()),
    )),
    DemoOrg("b", "Basisschool De Regenboog", "basisschool", "regenboog.example", (
        DemoUser("eva", "Eva Smit", ("leerkrachten", "taalteam"), "deelnemer", "leerkracht groep 1-2"),
        DemoUser("femke", "Femke de Jong", ("leerkrachten",), "deelnemer", "intern begeleider"),
        DemoUser("gert", "Gert Mulder", ("leerkrachten",)),
        DemoUser("hanna", "Hanna Bos", ("directie",), "manager", "directeur"),
        DemoUser(FUNCTIONAL_ACCOUNT, "Lerend Netwerk", ()),
    )),
)


# The demo network's organisations (slugs as the app makes them from the names) and commitments.
DEMO_SLUGS = {"a": "kinderopvang-de-zonnebloem", "b": "basisschool-de-regenboog"}
DEMO_COMMITMENTS = {"a": (4, "teamoverleg"), "b": (3, "bouwvergadering")}
DEMO_NETWORK_TEXT = {
    "name": "Doorgaande lijn Taal",
    "topic": "Mondelinge taal van peuter tot kleuter",
    "question": "Hoe sluit de taalaanpak op de opvang aan op die in groep 1 en 2?",
    "ambition": "Elk kind start in groep 1 met een taalaanpak die het al kent.",
    "template": "doorgaande-lijn",
}


def demo_network(start, orgs=DEMO_ORGS) -> dict:
    """The demo network as a network file's content (a dict to write as YAML), starting on `start`."""
    host = orgs[0]
    members, commitments = [], []
    for org in orgs:
        for user in org.users:
            if user.role:
                members.append({"name": user.display_name, "email": org.email(user.uid),
                                "organisation": DEMO_SLUGS[org.key], "user": user.uid, "role": user.role,
                                "expertise": user.expertise})
        manager = next(u for u in org.users if u.role == "manager")
        hours, podium = DEMO_COMMITMENTS[org.key]
        commitments.append({"organisation": DEMO_SLUGS[org.key], "manager": org.email(manager.uid),
                            "hours_per_month": hours, "podium": podium})
    kartrekker = next(m for m in members if m["role"] == "kartrekker")
    return {**DEMO_NETWORK_TEXT, "host": DEMO_SLUGS[host.key], "start": start.isoformat(), "place": host.name,
            "kartrekker": kartrekker["email"], "members": members, "commitments": commitments}


def add_demo_orgs(sandbox, orgs=DEMO_ORGS, ports=()):
    """Add the demo organisations with their users (password = uid) to a sandbox; returns them by key.
    `ports` fixes the ports in order (missing ones are picked freely)."""
    added = {}
    for index, demo in enumerate(orgs):
        org = sandbox.add_org(demo.key, name=demo.name, port=ports[index] if index < len(ports) else 0)
        for user in demo.users:
            org.add_user(user.uid, password=user.password, display_name=user.display_name,
                         email=demo.email(user.uid), groups=list(user.groups))
        added[demo.key] = org
    return added
