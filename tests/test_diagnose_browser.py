"""The diagnostics report in a real browser: headless Chromium renders it, every plot decodes, a screenshot shows them."""

from __future__ import annotations

import json

import pytest
from _browser import chromium, render

from rewardkit.cli import main

pytestmark = pytest.mark.skipif(
    chromium() is None, reason="headless Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it"
)

XML = "<reasoning>\n{r}\n</reasoning>\n<answer>\n{a}\n</answer>"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    question = "Tom has 3 apples and buys 2 more. How many apples does he have now?"
    completions = [XML.format(r="3 + 2 = 5", a="5"), XML.format(r="He has apples.", a="3"),
                   XML.format(r="Let me think.", a="..."), "five " * 40, "Three plus two: the answer is 5."]
    data = tmp / "data.jsonl"
    data.write_text("".join(json.dumps({"prompt": question, "completion": c, "answer": "#### 5"}) + "\n" for c in completions))
    assert main(["score", "gsm8k", str(data), "--out", str(tmp / "scored.jsonl")]) == 0
    assert main(["diagnose", str(tmp / "scored.jsonl"), "--out", str(tmp / "diag")]) == 0
    return tmp / "diag" / "report.html"


def test_chromium_renders_the_report_every_plot_decodes_and_the_screenshot_shows_them(report, tmp_path):
    png = tmp_path / "report.png"
    page = render(report, png)
    assert page["title"] == "rewardkit diagnostics"
    assert page["headings"][:3] == ["Findings", "Components", "Suspects"]
    assert len(page["images"]) == 3
    for image in page["images"]:
        assert image["width"] > 100 and image["height"] > 100, image
    matplotlib_image = pytest.importorskip("matplotlib.image")
    pixels = matplotlib_image.imread(png)
    assert pixels.shape[:2] == (min(8000, page["height"]), 1280)
    # the page is mostly white; the plots' bars and heat map add coloured pixels (text is grey)
    rgb = pixels[..., :3]
    assert ((rgb.max(axis=-1) - rgb.min(axis=-1)) > 0.2).mean() > 0.01
