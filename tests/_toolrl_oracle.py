"""verl's ToolRL reward (``verl.utils.reward_score.rlla.compute_score``), run in verl's environment as a script.

Reads JSON lines ``{"completion", "ground_truth"}`` on stdin and writes verl's result for each
(``{"score", "format_reward", "accuracy_reward"}``, or ``{"error": ...}`` where verl raises). The
completion is wrapped in Qwen's assistant turn, as verl's reward manager hands it over, and
verl's occasional debug prints are kept off stdout. rewardkit is never imported here.
"""

import contextlib
import io
import json
import sys


def main() -> int:
    from verl.utils.reward_score import rlla

    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        solution = "<|im_start|>assistant\n" + case["completion"] + "<|im_end|>"
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                result = rlla.compute_score("toolrl", solution, case["ground_truth"], {"experiment_name": "qwen"})
        except Exception as exc:  # noqa: BLE001 - verl raising on a case is its verdict, reported as such
            result = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
