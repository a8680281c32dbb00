"""Tool use: function calls checked against a ground truth or a schema, and ToolRL's reward.

Calls are read from every shape models and trainers produce (:mod:`.calls`), schemas from OpenAI,
TRL, Responses-API and BFCL tool lists (:mod:`.schemas`), expected calls from BFCL's possible
answers or exact calls (:mod:`.ground_truth`). :mod:`.checking` holds BFCL's per-call rules and
:mod:`.matching` the order-free pairing and the scoring modes of ``tool_call_match``
(:mod:`.match`); ``tool_call_format`` (:mod:`.call_format`) validates calls with jsonschema;
``toolrl`` (:mod:`.toolrl`) is ToolRL's reward as verl ships it. A completion that is a whole
conversation is read as a trajectory (:mod:`.trajectory`), whose cost ``tool_use`` (:mod:`.use`)
scores. scipy, jsonschema and json-repair come with ``pip install 'rewardkit[tools]'``.
"""

from rewardkit.hookspecs import hookimpl

from .call_format import ToolCallFormat
from .calls import Call, ReadOptions, read_calls
from .match import ToolCallMatch
from .toolrl import ToolRL
from .trajectory import Trajectory, read_trajectory
from .use import ToolUse


@hookimpl
def register_rewards(register):
    register(ToolCallMatch)
    register(ToolCallFormat)
    register(ToolRL)
    register(ToolUse)
