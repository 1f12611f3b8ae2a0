"""Why a plan cannot run: errors whose message (an i18n.Text, shown in the reader's language) tells the
kartrekker what to fix."""


class LaunchError(Exception):
    """The network cannot be launched or changed as it stands; the message says what to fix."""


class Busy(LaunchError):
    """Another run holds the network's lock; nothing was journaled by this one."""
