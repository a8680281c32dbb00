"""rm_score, rm_remote and language_consistency composed from YAML like any other reward."""

from __future__ import annotations

import pytest

from rewardkit.composition_loader import load_composition


def test_yaml_composition_with_reward_model_and_language_entries(tmp_path):
    pytest.importorskip("torch")
    from _tiny_models import save_reward_model
    from test_rm_remote import ScoringServer

    path = save_reward_model(tmp_path / "rm")
    server = ScoringServer()
    try:
        spec = tmp_path / "comp.yaml"
        spec.write_text(
            f"""
rewards:
  - name: rm_score
    weight: 1
    params: {{path: {path}, shift: 1, scale: 2, clip_min: -5, clip_max: 5}}
  - name: rm_score
    alias: rm_risk_averse
    weight: 0
    params: {{path: {path}, max_length: 16}}
  - name: rm_remote
    weight: 0.5
    params: {{url: "{server.url}/ok", timeout: 2}}
  - name: language_consistency
    weight: 0.5
    params: {{target: prompt, tag: think, missing_tag: zero}}
"""
        )
        comp = load_composition(str(spec))
        assert comp.names == ["rm_score", "rm_risk_averse", "rm_remote", "language_consistency"]
        assert comp.rewards[0].model is comp.rewards[1].model  # one model for both entries
        completions = ["<think>First add the numbers, then divide the sum by two.</think> 3", "no tags here"]
        scores = comp.score(completions, prompts=["What is the mean of two and four?"] * 2)
        assert scores.components["language_consistency"] == [1.0, 0.0]
        assert scores.components["rm_remote"] == [float(len(c)) for c in completions]
        expected = [min(5, max(-5, 2 * (logit - 1))) for logit in scores.extra["rm_score"]["logit"]]
        assert scores.components["rm_score"] == pytest.approx(expected)  # the entry's shift, scale and clip
        assert scores.extra["language_consistency"]["target"] == ["en", "en"]
    finally:
        server.close()
