"""BFCL's own verdicts, computed inside the bfcl-eval environment (.ci/bfcl-venv); run there as a script.

Reads JSON lines on stdin, each ``{"category", "function", "model_output", "possible_answer",
"model_name"}`` (``model_output`` as BFCL's decoder gives it: ``[{name: {param: value}}]``), and
writes one line per case: ``{"valid": bool, "error_type": str | null}`` from BFCL's
``ast_checker``, or, for the irrelevance categories, from its relevance rule (valid when the
output holds no call, ``is_empty_output``). ``--data`` prints the directory of BFCL's data files
instead. ``--time N`` repeats the cases N times and prints the CPU seconds they took, in all and per pass.

This file imports only bfcl_eval and the standard library: rewardkit is never imported here.
"""

import json
import sys
import time


def main() -> int:
    if sys.argv[1:] == ["--data"]:
        import importlib.util

        print(importlib.util.find_spec("bfcl_eval").submodule_search_locations[0] + "/data")
        return 0
    from bfcl_eval.constants.enums import Language
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker
    from bfcl_eval.utils import is_empty_output

    cases = [json.loads(line) for line in sys.stdin if line.strip()]

    def verdict(case):
        if "irrelevance" in case["category"]:
            return {"valid": bool(is_empty_output(case["model_output"])), "error_type": None}
        try:
            result = ast_checker(
                case["function"], case["model_output"], case["possible_answer"], Language.PYTHON,
                case["category"], case["model_name"],
            )
        except Exception as exc:  # noqa: BLE001 - a crash of the checker is a verdict to report, not to hide
            return {"valid": None, "error_type": f"crash: {type(exc).__name__}: {exc}"}
        return {"valid": bool(result["valid"]), "error_type": result.get("error_type")}

    if sys.argv[1:2] == ["--time"]:
        passes = []
        for _ in range(int(sys.argv[2])):
            start = time.process_time()
            for case in cases:
                verdict(case)
            passes.append(time.process_time() - start)
        print(json.dumps({"cpu_seconds": sum(passes), "passes": passes, "checks": len(passes) * len(cases)}))
        return 0
    for case in cases:
        print(json.dumps(verdict(case)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
