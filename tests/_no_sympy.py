"""Run statements in a fresh interpreter and check that they needed neither sympy nor a worker."""

import subprocess
import sys
import textwrap


def run_without_sympy(statements: str) -> None:
    """Run ``statements`` (they assert what they check) in a new Python process, then assert that
    it imported neither sympy nor math-verify and started no process."""
    script = textwrap.dedent(statements) + textwrap.dedent(
        """
        import multiprocessing, sys
        assert "sympy" not in sys.modules and "math_verify" not in sys.modules, "sympy was imported"
        assert not multiprocessing.active_children(), "worker processes were started"
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
