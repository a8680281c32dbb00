"""Runs verl's own reward managers on a hand-made batch, inside the verl virtual environment.

Usage: ``<verl venv>/bin/python tests/_verl_driver.py SPEC.json OUT.json``. verl's transformers pin
keeps it out of the main environment, so tests/test_verl.py and bench/serve_bench.py write a spec
(prompts, responses, ground truths, data sources, extra_info, and the runs to make) and read back
what each reward manager produced. A run names the manager (``reward_loop``: verl 0.9's
per-sample NaiveRewardManager, built by verl's own ``load_reward_manager``; ``naive`` and
``batch``: the legacy managers) and the custom reward function (loaded by verl's
``get_custom_reward_fn`` from ``pkg://rewardkit.integrations.verl``), or none for verl's own
``default_compute_score``; ``repeat`` runs it that many times and reports the fastest pass after the first (the warm one, for a benchmark). Nothing of
verl is replaced or mocked.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf

from _tiny_models import byte_tokenizer
from verl import DataProto
from verl.trainer.ppo.reward import get_custom_reward_fn, load_reward_manager
from verl.workers.reward_manager import BatchRewardManager, NaiveRewardManager


def make_batch(tokenizer, spec: dict) -> DataProto:
    """Prompts left-padded and responses right-padded, as verl's rollout hands them to the reward manager."""
    prompts = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in spec["prompts"]]
    responses = [tokenizer(r, add_special_tokens=False)["input_ids"] for r in spec["responses"]]
    pad = tokenizer.pad_token_id
    p_len, r_len = max(map(len, prompts)), max(map(len, responses))
    prompt_ids = torch.tensor([[pad] * (p_len - len(p)) + p for p in prompts])
    response_ids = torch.tensor([r + [pad] * (r_len - len(r)) for r in responses])
    mask = torch.tensor(
        [[0] * (p_len - len(p)) + [1] * len(p) + [1] * len(r) + [0] * (r_len - len(r)) for p, r in zip(prompts, responses)]
    )
    n = len(responses)
    non_tensors = {
        "data_source": np.array(spec["data_sources"], dtype=object),
        "reward_model": np.array([{"ground_truth": g, "style": "rule"} for g in spec["ground_truths"]], dtype=object),
        "extra_info": np.array([dict(e) for e in spec.get("extra_infos") or [{}] * n], dtype=object),
    }
    tensors = {
        "prompts": prompt_ids,
        "responses": response_ids,
        "attention_mask": mask,
        "input_ids": torch.cat([prompt_ids, response_ids], dim=1),
    }
    return DataProto.from_dict(tensors=tensors, non_tensors=non_tensors)


def config_for(function: str | None, reward_kwargs: dict) -> object:
    custom = {"path": "pkg://rewardkit.integrations.verl", "name": function, "reward_kwargs": reward_kwargs}
    return OmegaConf.create(
        {
            "reward": {
                "custom_reward_function": custom if function else {"path": None, "name": "compute_score"},
                "reward_manager": {"source": "register", "name": "naive"},
                "sandbox_fusion": {"url": None},
            }
        }
    )


def run(tokenizer, spec: dict, entry: dict) -> dict:
    config = config_for(entry.get("function"), entry.get("reward_kwargs", {}))
    data = make_batch(tokenizer, spec)
    manager = entry["manager"]
    start, cpu = time.perf_counter(), time.process_time()
    if manager == "reward_loop":
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)  # the manager binds the current loop when it is built
        reward_manager = load_reward_manager(config, tokenizer)
        outputs = loop.run_until_complete(
            asyncio.gather(*(reward_manager.run_single(data[i : i + 1]) for i in range(len(data))))
        )
        loop.close()
        tensor = reward_manager.assemble_rm_scores(data, [o["reward_score"] for o in outputs])
        keys = list(outputs[0]["reward_extra_info"])
        extra = {k: [o["reward_extra_info"][k] for o in outputs] for k in keys}
    else:
        function = get_custom_reward_fn(config)  # None: verl's own default_compute_score
        cls = {"naive": NaiveRewardManager, "batch": BatchRewardManager}[manager]
        reward_manager = cls(tokenizer=tokenizer, num_examine=0, compute_score=function)
        out = reward_manager(data, return_dict=True)
        tensor, extra = out["reward_tensor"], {k: list(v) for k, v in out["reward_extra_info"].items()}
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    prompt_len = data.batch["prompts"].shape[1]
    lengths = data.batch["attention_mask"][:, prompt_len:].sum(dim=1).tolist()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,  # this process only (a reward's worker processes not counted)
        "at_last_token": [float(tensor[i, n - 1]) for i, n in enumerate(lengths)],
        "row_sums": tensor.sum(dim=1).tolist(),
        "extra": {k: [float(x) if isinstance(x, (int, float, np.floating)) else x for x in v] for k, v in extra.items()},
    }


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[1]).read_text())
    tokenizer = byte_tokenizer()
    data = make_batch(tokenizer, spec)
    decoded = [
        tokenizer.decode(ids[mask.bool()], skip_special_tokens=True)
        for ids, mask in zip(data.batch["responses"], data.batch["attention_mask"][:, data.batch["prompts"].shape[1] :])
    ]
    import verl

    runs = []
    for entry in spec["runs"]:
        passes = [run(tokenizer, spec, entry) for _ in range(entry.get("repeat", 1))]
        runs.append(min(passes[1:] or passes, key=lambda r: r["seconds"]))  # a benchmark: the fastest warm pass
    result = {"verl": verl.__version__, "decoded": decoded, "runs": runs}
    Path(argv[2]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
