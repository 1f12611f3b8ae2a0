"""Demo organisations and users of the sandbox, shared by `python -m sandbox` and the test fixture."""

from dataclasses import dataclass, field

FUNCTIONAL_ACCOUNT = "lerend-netwerk"


@dataclass(frozen=True)
class DemoUser:
    uid: str
    display_name: str
    groups: tuple = ()

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
        DemoUser("anna", "Anna de Vries", ("medewerkers", "taalteam")),
        DemoUser("bram", "Bram Jansen", ("medewerkers",)),
        DemoUser("chantal", "Chantal Bakker", ("medewerkers", "taalteam")),
        DemoUser("daan", "Daan Visser", ("leidinggevenden",)),
        DemoUser(FUNCTIONAL_ACCOUNT, "Lerend Netwerk", ()),
    )),
    DemoOrg("b", "Basisschool De Regenboog", "basisschool", "regenboog.example", (
        DemoUser("eva", "Eva Smit", ("leerkrachten", "taalteam")),
        DemoUser("femke", "Femke de Jong", ("leerkrachten",)),
        DemoUser("gert", "Gert Mulder", ("leerkrachten",)),
        DemoUser("hanna", "Hanna Bos", ("directie",)),
        DemoUser(FUNCTIONAL_ACCOUNT, "Lerend Netwerk", ()),
    )),
)


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
