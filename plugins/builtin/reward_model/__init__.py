"""Reward models as rewards: a local model (``rm_score``), an HTTP scorer (``rm_remote``), and prompt rendering."""

from rewardkit.hookspecs import hookimpl

from .local import RmScore
from .remote import RmRemote


@hookimpl
def register_rewards(register):
    register(RmScore)
    register(RmRemote)
