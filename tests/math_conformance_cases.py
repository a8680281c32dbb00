"""Labelled (gold, completion, truth) cases built from the facts the public math checkers test.

Each case is ours (our wording, our completions); the fact it checks (which answers are equal,
which are not, which gold cannot be read) comes from the public test suite or checker named in the
comment above it. ``truth`` is whether the completion's final answer is the gold answer (None: the
gold cannot be read, the sample must be skipped). Facts a suite records as a known limitation of
one library rather than as the right verdict (math-verify's own "should not work" cases) are not
used. Used by tests/test_math_conformance.py and bench/math_conformance.py.

Sources (read through their repositories):

- MV   huggingface/Math-Verify, tests/ (test_all.py, test_numina_cases.py, test_open_thoughts.py,
       test_boxed.py, test_yujianll.py)
- OR1  huggingface/open-r1, tests/test_rewards.py (accuracy_reward)
- TRL  huggingface/trl, tests/test_rewards.py (accuracy_reward, reasoning_accuracy_reward)
- VERL volcengine/verl, verl/utils/reward_score/ (gsm8k.py, math.py strip_string, math_dapo.py)
- OI   allenai/open-instruct, open_instruct/math_utils.py (strip_string, normalize_final_answer,
       last_boxed_only_string, get_unnormalized_answer)

Kinds (the issue's list, plus the checkers' usual ones): prose, relations, matrices, several,
decimal_comma, currency, no_box, numbers, latex, sets, text, equations, unreadable.
"""

from __future__ import annotations

from typing import NamedTuple


class Case(NamedTuple):
    kind: str
    gold: str
    completion: str
    truth: bool | None
    source: str


def _cases() -> list[Case]:
    c: list[Case] = []

    def add(kind: str, source: str, gold: str, completion: str, truth: bool | None) -> None:
        c.append(Case(kind, gold, completion, truth, source))

    # -- answers in prose, without markup ---------------------------------------------------------
    # MV test_all.py::test_math_extraction_additional_cases: "Final Answer: The largest $n$ is 34." = 34
    add("prose", "MV", "$34$", "Final Answer: The largest $n$ is 34.", True)
    add("prose", "MV", "$34$", "Final Answer: The largest $n$ is 35.", False)
    add("prose", "MV", "$12$", "Final answer: the smallest $k$ is 12.", True)
    add("prose", "MV", "$12$", "Final answer: the smallest $k$ is 21.", False)
    # MV test_latex_notation: "Answer $ 9 $", "Answer \( 9 \)", "Answer \[ 9 \]", "Answer $$ 9 $$" = 9
    add("prose", "MV", "$7$", "Answer: $ 7 $", True)
    add("prose", "MV", "$7$", "Answer: $ 8 $", False)
    add("prose", "MV", "$9$", r"Answer \( 9 \)", True)
    add("prose", "MV", "$9$", r"Answer \[ 9 \]", True)
    add("prose", "MV", "$9$", "Answer $$ 9 $$", True)
    add("prose", "MV", "$9$", r"Answer \[ 10 \]", False)
    # MV test_latex_notation: "Answer \( (9+1) \)" = 10 (arithmetic in the answer)
    add("prose", "MV", "$10$", r"Answer \( (9+1) \)", True)
    add("prose", "MV", "$10$", r"Answer \( (9+2) \)", False)
    # MV test_number_extraction: the number closing the text, after currency or units
    add("prose", "MV", "1000.99", "the number is not 10 which is 1,000.99€", True)
    add("prose", "MV", "1000.99", "so the number is 10 which is 1,000.99m²", True)
    add("prose", "MV", "1000.99", "so the number is 1,000.99 which is not 10", False)
    add("prose", "MV", "2", "AZYUK2A", False)
    # VERL gsm8k.py (flexible): the last number of the text is the answer
    add("prose", "VERL", "#### 72", "She had 80 and gave away 8, so she has 72 left", True)
    add("prose", "VERL", "#### 72", "She had 80 and gave away 9, so she has 71 left", False)
    add("prose", "VERL", "#### 72", "So the result is 72.", True)
    add("prose", "VERL", "-2.5", "So the result is -2.5", True)
    add("prose", "VERL", "-2.5", "So the result is 2.5", False)
    # VERL math_dapo.py (is_correct_minerva): the answer is on the last "Answer:" line
    add("prose", "VERL", "#### 42", "Six times seven.\nAnswer: 42", True)
    add("prose", "VERL", "#### 42", "Six times seven.\nAnswer: 48", False)
    add("prose", "VERL", "#### 42", "Q: What is six times seven?\nA: 42", True)
    add("prose", "VERL", "#### 42", "Q: What is six times seven?\nA: 36", False)
    # OI get_unnormalized_answer: Minerva's "Final Answer: The final answer is X. I hope it is correct."
    add("prose", "OI", r"$\frac{1}{2}$", r"Final Answer: The final answer is $\frac{1}{2}$. I hope it is correct.", True)
    add("prose", "OI", r"$\frac{1}{2}$", r"Final Answer: The final answer is $\frac{1}{3}$. I hope it is correct.", False)
    # MV test_math_extraction_edge_cases: an answer in plain text at the end, "answer is 19"
    add("prose", "MV", "$19$", "Counting both signs we get nineteen values, so the answer is 19.", True)
    add("prose", "MV", "$19$", "Counting both signs we get twenty values, so the answer is 20.", False)
    # MV test_boxed.py: a boxed answer repeated under "**Final Answer**" (004 = 4)
    add("prose", "MV", "$004$", "so the remainder is \\boxed{004}.\n\n**Final Answer**\n\\boxed{004}", True)
    add("prose", "MV", "$840$", "could answer therefore\\boxed{840}.\n\n**Final Answer**\n\\boxed{840}", True)
    add("prose", "MV", "$840$", "could answer therefore\\boxed{480}.\n\n**Final Answer**\n\\boxed{480}", False)

    # -- relations written two ways ---------------------------------------------------------------
    # MV test_relations_math: >= / \geq, \lt, <= / \leq, \gt, != / \neq are the same relations
    add("relations", "MV", "$x >= 5$", r"Therefore $x \geq 5$ is the solution.", True)
    add("relations", "MV", "$x < 3$", r"We find that $x \lt 3$.", True)
    add("relations", "MV", r"$x \leq 2$", "Thus $x <= 2$ is our answer.", True)
    add("relations", "MV", "$x > 5$", r"Therefore $x \gt 5$ is the solution.", True)
    add("relations", "MV", "$x != 3$", r"We find that $x \neq 3$.", True)
    add("relations", "MV", r"$x \neq 5$", "The solution is $x != 5$", True)
    add("relations", "MV", r"$y \le 4$", "y <= 4", True)
    add("relations", "MV", r"$y \le 4$", "y >= 4", False)
    add("relations", "MV", r"$y \le 4$", r"so the values are $y \leq 4$.", True)
    add("relations", "MV", "$x > 5$", "Therefore $x < 5$ is the solution.", False)
    add("relations", "MV", r"$x \geq 5$", r"The solution is $x \leq 5$", False)
    # MV test_relations_math: flipped inequalities and negation
    add("relations", "MV", r"$x \leq 5$", r"$5 \geq x$", True)
    add("relations", "MV", r"$x \geq 5$", r"$5 \leq x$", True)
    add("relations", "MV", "$x < 1$", "$-x > -1$", True)
    add("relations", "MV", "$x < 1$", "$x > -1$", False)
    add("relations", "MV", "$x <= 1$", "$-x >= -1$", True)
    # MV test_set_rel_assymetry: a gold inequality accepts the interval it describes
    add("relations", "MV", r"$-2 \le x \le 7$", r"$x \in [-2,7]$", True)
    add("relations", "MV", r"$-2 \le x \le 7$", r"$x \in [-2,8]$", False)
    # MV test_open_thoughts / test_numina_cases: chained inequalities against intervals
    add("relations", "MV", "$-793 < a < 10$", "so $a$ ranges over $(-793, 10)$", True)
    add("relations", "MV", "$0<f(x)<1$", "$(0,1)$", True)
    add("relations", "MV", "$0<f(x)<1$", "$(0,2)$", False)
    add("relations", "MV", r"$k \ge 2$", r"$\boxed{k \ge 2}$", True)
    add("relations", "MV", r"$k \ge 2$", r"$\boxed{k \ge 3}$", False)
    add("relations", "MV", r"$f(2) < f(1) < f(4)$", r"Hence, $\boxed{f(2) < f(1) < f(4)}.$", True)

    # -- matrices ---------------------------------------------------------------------------------
    # MV test_matrix_extraction: pmatrix, bmatrix and \left[\begin{array}\right] are one matrix
    p, q = r"\begin{pmatrix}1 & 2 \\3 & 4\end{pmatrix}", r"\begin{pmatrix}1 & 2 \\ 3 & 5\end{pmatrix}"
    add("matrices", "MV", f"${p}$", r"Special matrix: $ \left[\begin{array}{cc}1 & 2 \\3 & 4\end{array}\right] $", True)
    add("matrices", "MV", f"${p}$", r"So $\boxed{\begin{bmatrix}1 & 2 \\ 3 & 4\end{bmatrix}}$", True)
    add("matrices", "MV", f"${p}$", f"The matrix is ${q}$", False)
    add("matrices", "MV", f"${p}$", r"So $\boxed{\begin{bmatrix}1 & 3 \\ 2 & 4\end{bmatrix}}$", False)
    add("matrices", "MV", r"$\begin{bmatrix}0 & 0 \\0 & 0\end{bmatrix}$", r"Here is a zero matrix: $ \begin{pmatrix}0 & 0 \\0 & 0\end{pmatrix} $", True)
    add("matrices", "MV", r"$\begin{pmatrix}1 & 0 \\ 0 & 1\end{pmatrix}$", r"The identity matrix is $ \begin{pmatrix}1 & 0 \\ 0 & 1\end{pmatrix} $.", True)
    add("matrices", "MV", r"$\begin{pmatrix}\frac{1}{2} & \frac{3}{4} \\ \frac{5}{6} & \frac{7}{8}\end{pmatrix}$", r"Matrix with fractions: $ \begin{pmatrix}\frac{1}{2} & \frac{3}{4} \\ \frac{5}{6} & \frac{7}{8}\end{pmatrix} $", True)
    add("matrices", "MV", r"$\begin{pmatrix}6 & 8 \\ 10 & 12\end{pmatrix}$", r"The sum is $\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix} + \begin{pmatrix}5 & 6 \\ 7 & 8\end{pmatrix}$", True)
    # VERL math.py strip_string: array -> pmatrix, bmatrix -> pmatrix
    add("matrices", "VERL", r"$\begin{pmatrix} -1 \\ 2 \end{pmatrix}$", r"the vector is $\left[\begin{array}{c} -1 \\ 2 \end{array}\right]$", True)
    add("matrices", "VERL", r"$\begin{pmatrix} -1 \\ 2 \end{pmatrix}$", r"the vector is $\left[\begin{array}{c} 1 \\ 2 \end{array}\right]$", False)
    add("matrices", "VERL", r"$\begin{pmatrix} -1/3 \\ 2/3 \end{pmatrix}$", r"$\boxed{\begin{bmatrix} -\frac13 \\ \frac23 \end{bmatrix}}$", True)

    # -- several boxed answers that together are the answer ----------------------------------------
    # MV test_open_thoughts: \boxed{1} and \boxed{2} and \boxed{3} (or with commas) = {1, 2, 3}
    add("several", "MV", "$${1,2,3}$$", r"\boxed{1} and \boxed{2} and \boxed{3}", True)
    add("several", "MV", "$${1,2,3}$$", r"\boxed{1},\boxed{2},\boxed{3}", True)
    add("several", "MV", "$${1,2,3}$$", r"\boxed{1},\boxed{2},\boxed{4}", False)
    add("several", "MV", r"$$\boxed{2}, \boxed{3}, \boxed{5}, \boxed{7}, \boxed{13}$$", r"$${2, 3, 5, 7, 13}$$", True)
    add("several", "MV", r"$$\boxed{2}, \boxed{3}, \boxed{5}, \boxed{7}, \boxed{13}$$", r"$${2, 3, 5, 7, 11}$$", False)
    add("several", "MV", r"$\{3, 5\}$", r"so $\boxed{3}, \boxed{5}$", True)
    add("several", "MV", r"$\{3, 5\}$", r"so $\boxed{3}, \boxed{6}$", False)
    # MV test_open_thoughts: two boxed pairs against a list of pairs
    add("several", "MV", "$$(2, 2), (6, 2)$$", r"$$\boxed{(2, 2)} \quad \text{and} \quad \boxed{(6, 2)}$$", True)
    add("several", "MV", "$$(98, 2), (99, 503)$$", r"$$\boxed{(98, 2)} \quad \text{and} \quad \boxed{(99, 503)}$$", True)
    add("several", "MV", "$$(98, 2), (99, 503)$$", r"$$\boxed{(98, 2)} \quad \text{and} \quad \boxed{(99, 502)}$$", False)
    add("several", "MV", "$$(3, 3), (1, 1)$$", r"$$\boxed{(3, 3)} \text{ for part (a) and } \boxed{(1, 1)}$$", True)
    # MV test_numina_cases: four boxed pairs against the list of four
    add("several", "MV", "$(2,1),(1,2),(-1,-20),(-20,-1)$", "solutions are:\n\n\\[\n\\boxed{(1, 2)}, \\boxed{(2, 1)}, \\boxed{(-1, -20)}, \\boxed{(-20, -1)}\n\\]", True)
    add("several", "MV", "$(2,1),(1,2),(-1,-20),(-20,-1)$", "solutions are:\n\n\\[\n\\boxed{(1, 2)}, \\boxed{(2, 1)}, \\boxed{(-1, -20)}\n\\]", False)
    # MV test_numina_cases / test_open_thoughts: "a = 2, b = 7"-style golds against bare values
    add("several", "MV", "$AB=4,CD=5$", r"$\boxed{4, 5}$", True)
    add("several", "MV", "$a = 2, b = 7$", r"so $a = \boxed{2}$ and $b = \boxed{7}$", True)
    add("several", "MV", "$a = 2, b = 7$", r"so $a = \boxed{2}$ and $b = \boxed{8}$", False)
    add("several", "MV", "$$k = 45, n = 2$$", r"$$\boxed{k = 45} \quad \text{and} \quad \boxed{n = 2}$$", True)
    add("several", "MV", "$$a_3 = 2, a_{37} = 19$$", r"$$\boxed{a_{37} = 19, \quad a_3 = 2}$$", True)
    add("several", "MV", r"\boxed{x = -5,\ p = \frac{14}{3}} ", r"$\boxed{-5, \frac{14}{3}}$", True)
    add("several", "MV", r"\boxed{a=4,\,-8,\,-10}", r"$\boxed{-10,-8,4}$", True)
    # MV test_numina_cases / test_all: a gold of several boxes against one box of the set
    add("several", "MV", r"\(\boxed{1}\) and \(\boxed{-2}\).", r"$\boxed{-2,1}$.", True)
    add("several", "MV", r"$\boxed{1}\boxed{2}$", r"$\boxed{1,2}$", True)
    add("several", "MV", r"\boxed{1} papers and \boxed{2} bins", r"$\boxed{1,2}$", True)
    add("several", "MV", r"\boxed{1} no no no no no \boxed{2}", r"$\boxed{1,2}$", False)
    add("several", "MV", r"$\boxed{3}, \boxed{5}$", r"$\boxed{\{3, 5\}}$", True)
    add("several", "MV", r"$\boxed{3}, \boxed{5}$", r"$\boxed{\{3, 7\}}$", False)
    # MV test_numina_cases: lists written with "and", "or", semicolons
    add("several", "MV", "$1$ and $2$ and $3$", r"$\boxed{1,2,3}$", True)
    add("several", "MV", "$21,16$ or $11$", "$21,16,11$", True)
    add("several", "MV", "$-12;-11;-10;-8;-7;-6$", r"$\boxed{\{-12, -11, -10, -8, -7, -6\}}$", True)
    add("several", "MV", r"$(11,7)or(7,11)$", r"$\boxed{(7,11),\ (11,7)}$", True)
    add("several", "MV", r"$p=5,q=2;p=7,q=2$", "$(5,2),(7,2)$", True)
    add("several", "MV", r"\(\boxed{6 \text{ and } 8}\)", r"$\boxed{6,8}$", True)
    add("several", "MV", r"$$6 \text{ and } 8$$", r"$$\boxed{6 \text{ and } 8}$$", True)
    add("several", "MV", r"$$(5, 8), (8, 5)$$", r"$$\boxed{(x, y) = (5, 8) \quad \text{and} \quad (8, 5)}$$", True)
    # MV test_numina_cases: same tuples in another order; a wrong tuple among them
    big = r"$(37,3,3,13),(17,3,3,7),(3,37,3,13),(3,17,3,7),(3,3,2,3)$"
    box = r"$\boxed{(3, 37, 3, 13), (3, 17, 3, 7), (3, 3, 2, 3), (3,17,3,7), (17,3,3,7), (37,3,3,13)}$"
    add("several", "MV", big, box, True)
    add("several", "MV", big.replace("(37,3,3,13)", "(37,3,3)"), box, False)
    # MV test_yujianll: lists written with "and"
    add("several", "MV", "$19, 46, and 82$", r"$19, 46, \text{ and } 82$", True)
    add("several", "MV", "$19, 46, and 82$", "$21, 36, and 82$", False)
    add("several", "MV", "$n=1, 2, 3$", "$n=1, 2, 3$", True)
    add("several", "MV", "$n=2, 3, 4$", "$n=1, 2, 3$", False)
    # MV test_latex_notation_math: roots listed in a box
    add("several", "MV", "$-2,1$", r"the only integer roots are $\boxed{-2,1}.$", True)
    add("several", "MV", "$-2,1$", r"the only integer roots are $\boxed{-2,2}.$", False)

    # -- decimal commas and space separators --------------------------------------------------------
    # MV test_number_extraction: "1000,99" = 1000.99, "1,22" = 1.22, "0,111" = 0.111, "2,74 $" = 2.74
    add("decimal_comma", "MV", "1000.99", "1000,99", True)
    add("decimal_comma", "MV", "1,22", "1.22", True)
    add("decimal_comma", "MV", "0,111", "0.111", True)
    add("decimal_comma", "MV", "2.74", "Soucis : 2,74 $ a..", True)
    add("decimal_comma", "MV", "3.75", "Le prix est donc 3,75.", True)
    add("decimal_comma", "MV", "3.75", "Le prix est donc 3,57.", False)
    add("decimal_comma", "MV", "0.125", r"so $p = \boxed{0,125}$", True)
    add("decimal_comma", "MV", "0.125", r"so $p = \boxed{0,25}$", False)
    # MV test_number_extraction: thousands separators "7,425,000" and "1 000"; a pair is not thousands
    add("decimal_comma", "MV", "7425000", "7,425,000", True)
    add("decimal_comma", "MV", "1000", "1 000", True)
    add("decimal_comma", "MV", "12500", "The total is 12 500 dollars.", True)
    add("decimal_comma", "MV", "12500", "The total is 12 600 dollars.", False)
    add("decimal_comma", "MV", "1000.0", "1,000.0", True)
    add("decimal_comma", "MV", "12500", r"so the total is $12\,500$", True)
    add("decimal_comma", "MV", "12500", r"so the total is $12\,600$", False)
    # MV test_math_extraction_additional_cases: 11,\! 111 = 11111; "32, 349" (a space) is a pair
    add("decimal_comma", "MV", r" So the answer is: \[ \boxed{11111111100} \]", r"is $\boxed{11,\! 111,\! 111,\! 100}$", True)
    add("decimal_comma", "MV", r" So the answer is: \[ \boxed{32349} \]", r"is $\boxed{32,\! 349}$", True)
    add("decimal_comma", "MV", r" So the answer is: \[ \boxed{32349} \]", r"is $\boxed{32, 349}$", False)
    # MV test_latex_notation_math: 14{,}916
    add("decimal_comma", "MV", r"$\boxed{14{,}916}$", "so the number is $14{,}916$.", True)

    # -- currency -----------------------------------------------------------------------------------
    # MV test_number_extraction: "$1,000.99" and "1,000.99$" are 1000.99
    add("currency", "MV", "1000.99", "$1,000.99", True)
    add("currency", "MV", "1000.99", "1,000.99$", True)
    # VERL math_dapo / OI normalize_final_answer: "\$" is removed
    add("currency", "VERL", "#### 40", r"She pays $\boxed{\$40}$ in total.", True)
    add("currency", "VERL", "#### 40", r"She pays $\boxed{\$45}$ in total.", False)
    add("currency", "VERL", "#### 40", r"She pays $\boxed{\40}$ in total.", True)
    add("currency", "VERL", "#### 40", r"She pays $\boxed{\45}$ in total.", False)
    add("currency", "OI", r"\$18.90", "Answer: \\$18.90", True)
    add("currency", "OI", r"\$18.90", "Answer: \\$19.80", False)
    # MV test_math_extraction_edge_cases: "$7.78 for her fudge"
    add("currency", "MV", "$7.78$", r"$\frac{70}{9} \approx 7.78$ So Anna pays approximately $7.78 for her fudge.", True)

    # -- no box: the last LaTeX span or the last number of the conclusion ---------------------------
    # MV test_latex_notation: "$k = \frac{1}{3}$" = 1/3 ("the last = is considered")
    add("no_box", "MV", "$1/3$", r"$k = \frac{1}{3}$", True)
    add("no_box", "MV", "$1/3$", r"$k = \frac{1}{4}$", False)
    add("no_box", "MV", r"$\frac{14}{3}$", r"Adding the three terms, the value is $\frac{14}{3}$.", True)
    add("no_box", "MV", r"$\frac{14}{3}$", r"Adding the three terms, the value is $\frac{13}{3}$.", False)
    # MV test_relations_math: "x = 5+5+1 = 7 = 11" takes the last value
    add("no_box", "MV", "$x = 11$", "$x = 5+5+1 = 7 =11$", True)
    add("no_box", "MV", "$x = 1/3$", r"$x = 5+5+1 = 1/3 \approx 11$", True)
    add("no_box", "MV", "$11$", r"$x\approx11$", True)
    # MV test_math_extraction_edge_cases: the answer as a number in the last sentence
    add("no_box", "MV", "$2/3$", "P(A) = (1/2) / (3/4) so P(A) = 2/3. Therefore, the probability that Alice wins is 2/3.", True)
    add("no_box", "MV", "$2/3$", "P(A) = (1/2) / (3/4) so P(A) = 3/4. Therefore, the probability that Alice wins is 3/4.", False)
    add("no_box", "MV", r"$\left(\frac{4}{5},\frac{1}{5}\right)$", r"Thus, $(t,u) = \left( \frac{4}{5}, \frac{1}{5} \right).$", True)
    add("no_box", "MV", r"$\left(\frac{4}{5},\frac{1}{5}\right)$", r"Thus, $(t,u) = \left( \frac{1}{5}, \frac{4}{5} \right).$", False)
    # MV test_math_extraction_additional_cases: "x \in (-6, 10)" in a Minerva line
    add("no_box", "MV", "$(-6, 10)$", r"The solution is \( x \in (-6, 10) \). Final Answer: The final answer is \((-6, 10)\). I hope it is correct.", True)
    add("no_box", "MV", "$(-6, 10)$", r"The solution is \( x \in (-6, 11) \). Final Answer: The final answer is \((-6, 11)\). I hope it is correct.", False)
    add("no_box", "MV", r"$[-2, 7]$", r"less than or equal to zero between its roots: \[ \boxed{[-2, 7]} \]", True)

    # -- plain numbers ------------------------------------------------------------------------------
    # MV test_number_extraction
    add("numbers", "MV", "-5", "-5", True)
    add("numbers", "MV", "1000", "1000.0", True)
    add("numbers", "MV", "0.4", ".4", True)
    add("numbers", "MV", "0.4", ".5", False)
    # MV test_simple_fraction_notation
    add("numbers", "MV", "10/9", r"\frac{10}{9}", True)
    add("numbers", "MV", "-10/9", r"-\frac{10}{9}", True)
    add("numbers", "MV", "-10/9", r"\frac{10}{9}", False)
    # MV test_percent_notation: 28% written in five ways
    add("numbers", "MV", r"$28\%$", "28 percent", True)
    add("numbers", "MV", r"$28\%$", "28 pct", True)
    add("numbers", "MV", r"$28\%$", "28 %", True)
    add("numbers", "MV", r"$28\%$", "$28$ percent", True)
    add("numbers", "MV", r"$28\%$", r"$\boxed{28}$ pct", True)
    add("numbers", "MV", r"$28\%$", "29 percent", False)
    # MV test_complex_math_expressions: a decimal against a fraction at 6 places
    add("numbers", "MV", r"$\frac{1}{12}$", "$0.0833333333333333$", True)
    add("numbers", "MV", r"$(1,\frac{9}{2})$", "$(1,4.5)$", True)
    add("numbers", "MV", "$2$", r"$\frac{1+\sqrt{5}}{2}$", False)
    add("numbers", "MV", "$4$", r"$\frac{34}{16}+\frac{\sqrt{1358}}{16}$", False)
    add("numbers", "MV", r"$1\sqrt{19}$", "$1$", False)
    # MV test_sqrt_precision (issue 41): 4 is not 4\sqrt{2}
    add("numbers", "MV", "$4$", r"$4\sqrt{2}$", False)
    # OI strip_string: "0.5" is \frac{1}{2}; ".5" is "0.5"; "k = 3" is 3; \frac12 and \sqrt3 shorthand
    add("numbers", "OI", r"\frac{1}{2}", r"so $\boxed{0.5}$", True)
    add("numbers", "OI", "0.5", r"so $\boxed{.5}$", True)
    add("numbers", "OI", "3", r"so $\boxed{k = 3}$", True)
    add("numbers", "OI", r"\frac{1}{2}", r"so $\boxed{\frac12}$", True)
    add("numbers", "OI", r"\sqrt{3}", r"so $\boxed{\sqrt3}$", True)
    add("numbers", "OI", r"\sqrt{3}", r"so $\boxed{\sqrt2}$", False)
    # OI strip_string: units after the number (\text{ cm}), degrees, \! in numbers, \left( \right)
    add("numbers", "OI", "5", r"so $\boxed{5\text{ cm}}$", True)
    add("numbers", "OI", "90", r"so $\boxed{90^{\circ}}$", True)
    add("numbers", "OI", "90", r"so $\boxed{45^{\circ}}$", False)
    add("numbers", "OI", "10000", r"so $\boxed{10,\!000}$", True)
    # VERL math_dapo REMOVED_EXPRESSIONS: units such as "dollars", "degrees", "inches" are dropped
    add("numbers", "VERL", "#### 18", "Answer: 18 dollars", True)
    add("numbers", "VERL", "#### 18", "Answer: 81 dollars", False)
    add("numbers", "VERL", "30", r"Answer: $30^\circ$", True)
    # OR1 / TRL tests/test_rewards.py: accuracy_reward on \frac{63}{400}
    add("numbers", "OR1", r"\frac{63}{400}", r"\boxed{\frac{63}{400}}", True)
    add("numbers", "OR1", r"\frac{63}{400}", r"\boxed{\frac{64}{400}}", False)
    add("numbers", "TRL", "63/400", r"\boxed{\frac{63}{400}}", True)
    add("numbers", "TRL", "6", r"\boxed{3}", False)
    add("numbers", "TRL", r"\frac{1}{3}", r"\boxed{\frac{1}{3}}", True)
    add("numbers", "TRL", r"\frac{1}{3}", r"\boxed{\frac{1}{2}}", False)
    # TRL test_correct_answer_in_reasoning: the final answer is the last box, not one in <think>
    add("numbers", "TRL", r"\boxed{42}", r"<think> The answer is \boxed{42} </think> Here's a wrong answer: \boxed{43}.", False)
    add("numbers", "TRL", r"\boxed{42}", r"<think> Reasoning content </think> \boxed{42}", True)

    # MV tests/test_mixed_number_extraction.py: "4 4/9" is 40/9 (not 4), "-4 4/9" is -40/9, "4 0/9" is
    # 4, "1 000 4/9" is 9004/9; "4 0/0", "11 6/6" and "11 7/6" are no number; "11 + 4/9" is not "11 - 4/9"
    add("numbers", "MV", "40/9", "The answer is 4 4/9.", True)
    add("numbers", "MV", "4", "The answer is 4 4/9.", False)
    add("numbers", "MV", "-40/9", "-4 4/9", True)
    add("numbers", "MV", "4", "4 0/9", True)
    add("numbers", "MV", "9004/9", "1 000 4/9", True)
    add("numbers", "MV", r"\frac{11}{4}", r"so $x = 2\frac{3}{4}$", True)
    add("numbers", "MV", "4", "The answer is 4 0/0.", False)
    add("numbers", "MV", "0", "4 0/0", False)
    add("numbers", "MV", "12", "The answer is 11 6/6.", False)
    add("numbers", "MV", "11", "11 6/6", False)
    add("numbers", "MV", "73/6", "11 7/6", False)
    add("numbers", "MV", "103/9", "11 - 4/9", False)
    # VERL math.py strip_string / OI: a closing full stop is not part of the answer
    add("numbers", "VERL", r"$\frac{2}{5}$", r"so the probability is $\frac{2}{5}.$", True)
    add("numbers", "VERL", r"$\frac{2}{5}$", r"so the probability is $\frac{3}{5}.$", False)

    # -- LaTeX expressions --------------------------------------------------------------------------
    # MV test_latex_notation: malformed \frac13, \frac3{3}, \sqrt3; \cfrac/\dfrac/\tfrac; styling
    add("latex", "MV", "$1/3$", r"$\frac13 $", True)
    add("latex", "MV", "$1$", r"$\frac3{3} $", True)
    add("latex", "MV", r"$\sqrt{3}$", r"$\sqrt3 $", True)
    add("latex", "MV", "$1/3$", r"$\cfrac{1}{3} $", True)
    add("latex", "MV", "$1/3$", r"$\dfrac{1}{3} $", True)
    add("latex", "MV", "$1/3$", r"$\tfrac{1}{3} $", True)
    add("latex", "MV", "$1/3$", r"$\left( \frac{1}{3} \right)$", True)
    add("latex", "MV", "$1/3$", r"$\frac{1}{3} \text{meters}$", True)
    add("latex", "MV", "$1/3$", r"$\frac{1}{3} \textbf{meters}$", True)
    add("latex", "MV", "$1/3$", r"$\tfrac{2}{3} $", False)
    # MV test_latex_notation_math: MATH reference answers in their solutions
    add("latex", "MV", "$2-2p$", r"If $2-x=p$, then $x=2-p$. Thus $x-p=\boxed{2-2p}$.", True)
    add("latex", "MV", "$2-2p$", r"If $2-x=p$, then $x=2-p$. Thus $x-p=\boxed{2-p}$.", False)
    add("latex", "MV", r"$(3, \frac{\pi}{2})$", r"Therefore, the polar coordinates are $\boxed{\left( 3, \frac{\pi}{2} \right)}.$", True)
    add("latex", "MV", r"$(3, \frac{\pi}{2})$", r"Therefore, the polar coordinates are $\boxed{\left( \frac{\pi}{2}, 3 \right)}.$", False)
    add("latex", "MV", r"$3\sqrt{13}$", r"\sqrt{6^2 + (-9)^2} = \sqrt{117} = \boxed{3\sqrt{13}}.", True)
    add("latex", "MV", r"$3\sqrt{13}$", r"so the distance is $\boxed{\sqrt{117}}$", True)
    add("latex", "MV", r"$3\sqrt{13}$", r"so the distance is $\boxed{\sqrt{118}}$", False)
    add("latex", "MV", r"$\frac{3}{56}$", r"so \[p(8) = \frac{q(8) + 8}{8^2 - 1} = \boxed{\frac{3}{56}}.\]", True)
    add("latex", "MV", r"$90^\circ$", r"Hence, the angle between the lines is $\boxed{90^\circ}.$", True)
    add("latex", "MV", r"$90^\circ$", r"Hence, the angle between the lines is $\boxed{60^\circ}.$", False)
    add("latex", "MV", r"$15\mbox{ cm}^2$", r"$$\frac{1}{2}\times 3 \times 10 = \boxed{15\mbox{ cm}^2}.$$", True)
    add("latex", "MV", "$125$ miles", r"The distance is $\boxed{125\textnormal{ miles}}.$", True)
    add("latex", "MV", "$204_5$", r"for a quotient of $\boxed{204_5}$.", True)
    add("latex", "MV", "$(6,31,-1)$", r"we find $(p,q,r) = \boxed{(6,31,-1)}.$", True)
    add("latex", "MV", "$(6,31,-1)$", r"we find $(p,q,r) = \boxed{(6,-31,1)}.$", False)
    add("latex", "MV", r"$1 \pm \sqrt{19}$", r"By the quadratic formula, $x = \boxed{1 \pm \sqrt{19}}.$", True)
    add("latex", "MV", r"$3 \pm 2 \sqrt{2}$", r"the roots are $x = \boxed{3 \pm 2 \sqrt{2}}.$", True)
    add("latex", "MV", r"$\{1\pm\sqrt{5},-2\}$", r"so the answer is $\boxed{\{1\pm\sqrt{5},-2\}}.$", True)
    add("latex", "MV", r"$2 \sin b \cos a$", r"\[\sin (a + b) - \sin (a - b) = \boxed{2 \sin b \cos a}.\]", True)
    add("latex", "MV", r"$\frac{\pi r}{h+r}$", r"The answer is $\boxed{\frac{\pi r}{h+r}}$.", True)
    add("latex", "MV", r"$\sqrt{2}+\sqrt{5}$", r"The answer is $\boxed{\sqrt 2+\sqrt 5}$", True)
    add("latex", "MV", r"$\frac{9}{4}\pi$", r"Therefore $\boxed{\frac94\pi}$.", True)
    add("latex", "MV", r"$\frac{9}{4}\pi$", r"Therefore $\boxed{\frac49\pi}$.", False)
    # MV test_complex_math_expressions: algebraic identities; different expressions
    add("latex", "MV", r"$\frac{x+2}{7}$", r"$\frac{x}{7}+\frac{2}{7}$", True)
    add("latex", "MV", r"$\tan^2(y)+1$", r"$\sec^2(y)$", True)
    add("latex", "MV", "$(a+5)(b+2)$", "$(+5)(b+2)$", False)
    add("latex", "MV", "$x+2n+1$", "$x+1$", False)
    add("latex", "MV", r"$\frac{\sqrt{\sqrt{11}+\sqrt{194}}}{15+2\sqrt{33}}$", r"$\frac{\sqrt{\sqrt{11}+\sqrt{194}}}{2\sqrt{33}+15}$", True)

    # -- sets and intervals -------------------------------------------------------------------------
    # MV test_sets_handling
    add("sets", "MV", "$[0,1)$", "$[0,1)$", True)
    add("sets", "MV", "$[0,9)$", "$[0,1)$", False)
    add("sets", "MV", "$(0,9)$", "$[0,9)$", False)
    add("sets", "MV", "$1$", "$-[0,1)$", False)
    # MV test_latex_notation_math / test_math_extraction_additional_cases: unions of intervals
    add("sets", "MV", r"$[-1, -\frac{1}{2}) \cup (-\frac{1}{2}, 0) \cup (0, 1) \cup (1, \infty)$", r"The solution set is $\boxed{[-1, -\tfrac12) \cup (-\tfrac12, 0) \cup (0, 1) \cup (1, \infty)}.$", True)
    add("sets", "MV", r"Thus, the domain of the function \( f(x) \) is: \[ \boxed{(2, 12) \cup (12, 102)} \]", r"Thus, the answer is $x \in \boxed{(2,12) \cup (12,102)}$", True)
    add("sets", "MV", r"Thus, the domain of the function \( f(x) \) is: \[ \boxed{(2, 12) \cup (12, 102)} \]", r"Thus, the answer is $x \in \boxed{(2,12) \cup (12,101)}$", False)
    add("sets", "MV", r"x \in \boxed{\{-1\} \cup [0,7)}.$", r"x \in \boxed{\{-1\} \cup [0,7)}.$", True)
    # MV test_numina_cases: an absolute-value inequality against its union of intervals
    add("sets", "MV", r"$1\leq|z|\leq \frac{3}{2}$", r"$z \in \left[-\frac{3}{2}, -1\right] \cup \left[1, \frac{3}{2}\right]$", True)
    # MV test_math_extraction_additional_cases: (3,1) is not the set {1,3}
    add("sets", "MV", "$(3,1)$", "${1,3}$", False)
    # MV test_yujianll: \pm 2021 is the set {-2021, 2021}, not 2021
    add("sets", "MV", r"$\pm 2021$", "${-2021, 2021}$", True)
    add("sets", "MV", r"$\pm 2021$", "$2021$", False)
    add("sets", "MV", "$(1, +\\infty)$", "so $x \\in (1, +\\infty)$", True)
    add("sets", "MV", "$D = (0, 1)$", "$D = (0, 1)$", True)
    add("sets", "MV", "$D = (0, 1)$", "$D = (0, 1.5)$", False)

    # -- text answers -------------------------------------------------------------------------------
    # MV test_latex_notation_math: \text{Evelyn}; test_math_extraction_additional_cases: (C) and E
    add("text", "MV", r"$\text{Evelyn}$", r"Therefore, $\boxed{\text{Evelyn}}$ is our answer.", True)
    add("text", "MV", r"$\text{Evelyn}$", r"Therefore, $\boxed{\text{Briana}}$ is our answer.", False)
    add("text", "MV", r"\(\boxed{\text{C}}\).", r"$\boxed{\text{(C)}}.$", True)
    add("text", "MV", r"\(\boxed{\text{C}}\).", r"$\boxed{\text{(D)}}.$", False)
    add("text", "MV", r"$\text{E}$", "$E$", True)
    add("text", "MV", r"$d$", r"$\text{E}$", False)
    # MV test_numina_cases: \text{odd} = odd, \text{Even} = Even
    add("text", "MV", r"$\text{odd}$", "$odd$", True)
    add("text", "MV", r"$\text{Even}$", "$Even$", True)
    add("text", "MV", r"$$\text{The midpoints form a regular hexagon}$$", r"$$\text{The midpoints form a regular hexagon}$$", True)
    # MV test_yujianll: times
    add("text", "MV", "$12:00$", "$12:00$", True)
    add("text", "MV", "$12:00$", "$1:00$", False)

    # -- equations ----------------------------------------------------------------------------------
    # MV test_relations_math: a bare value against an assignment, not against an equation
    add("equations", "MV", "$11$", "$x=11$", True)
    add("equations", "MV", "$k=1$", "$1$", True)
    add("equations", "MV", "$1$", "$k=1$", True)
    add("equations", "MV", "$a +3z = 0$", "$0$", False)
    add("equations", "MV", "$2x + z = 1$", "$1$", False)
    add("equations", "MV", "$a^2 + b = 0$", "$0$", False)
    add("equations", "MV", "$7 = 11a+c$", "$11a+c$", False)
    add("equations", "MV", "$z = 1 + 1 = 2$", "$z = 3+3 = 2$", True)
    add("equations", "MV", r"$2x+4y-3=0$", r"$y=-\frac{1}{2}x+\frac{3}{4}$", True)
    add("equations", "MV", "$x^2/4 + y^2/3 = 1$", "$x^2/16 + y^2/12 = 1/4$", True)
    add("equations", "MV", "$34x+45y-20z+100=0$", "$-34x-45y+20z-100=0$", True)
    # MV test_numina_cases / test_open_thoughts: a named value against the value
    add("equations", "MV", r"$(p,q)=(3,2)$", "$(3,2)$", True)
    add("equations", "MV", r"$(p,q)=(3,2)$", "$(2,3)$", False)
    add("equations", "MV", r"$(p,q,r)=(3,2,7)$", "$(3,2,7)$", True)
    add("equations", "MV", r"$\frac{NO}{BO}=\frac{1}{\sqrt{6}}$", r"$\frac{1}{\sqrt{6}}$", True)
    add("equations", "MV", r"$V_{1}:V_{2}=11:21$", "$11:21$", True)
    add("equations", "MV", r"$S_{MBCN}:S=7:32$", r"$\boxed{7:32}$", True)
    add("equations", "MV", "$$|AB|=1$$", "$$1$$", True)
    add("equations", "MV", "$$f(x)=1$$", "$$1$$", True)
    add("equations", "MV", "$$f(y) = y$$", "$$f(y) = y$$", True)
    add("equations", "MV", r"$$x = \frac{1}{2}, x = \frac{-1 \pm \sqrt{13}}{4}$$", r"$$\boxed{x = \frac{1}{2}, x = \frac{-1 \pm \sqrt{13}}{4}}$$", True)
    add("equations", "MV", r"$F_n = \sum_{k=0}^{n-1} F_k F_{n-k-1}$", r"$F_n = \sum_{k=0}^{n-1} F_{n-k-1} F_k$", True)
    add("equations", "MV", r"$F_n = \sum_{k=0}^{n-1} F_k F_{n-k-1}$", r"$F_n = \sum_{k=0}^{n-2} F_k F_{n-k-2}$", False)
    add("equations", "MV", r"$$0.06 \text{ yuan}$$", r"$$\boxed{0.06 \text{ yuan}}$$", True)

    # -- a gold that cannot be read: no score, never a false 1.0 --------------------------------------
    # TRL test_accuracy_reward_unparsable_gold / reasoning_accuracy_reward: prose golds give None
    add("unreadable", "TRL", "Answer is forty two.", "Answer is forty two.", None)
    add("unreadable", "TRL", "Answer is forty three.", r"Some other content. \boxed{43}.", None)
    add("unreadable", "TRL", "forty two", r"<think> Reasoning content </think> \boxed{42}", None)
    return c


CASES = _cases()
