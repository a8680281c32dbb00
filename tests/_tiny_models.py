"""Tiny models and tokenizers built in the tests (nothing is downloaded): policies and reward models."""

from __future__ import annotations

from pathlib import Path

SPECIALS = ["[PAD]", "[UNK]", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
WORDS = (
    "the a an is are was to of and in on for with what how why who can you i it this that my me your "
    "please tell explain help question answer good great helpful kind polite correct thanks sure "
    "bad rude wrong awful useless no never hate stupid go away cat dog sky blue water food "
    "steal hurt weapon safe sorry cannot will would should not here there some more about think"
).split()
PUNCT = list(".,?!:;'\"()-")
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} <|end|> {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)
CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CHATML_SPECIALS = ["<|pad|>", "<|im_start|>", "<|im_end|>"]


def make_tokenizer(chat_template: bool = True):
    """A word-level tokenizer over a small vocabulary, with BOS/EOS/PAD and an optional chat template."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(SPECIALS + WORDS + PUNCT)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", vocab["<s>"])])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token="[PAD]",
        unk_token="[UNK]",
        bos_token="<s>",
        eos_token="</s>",
    )
    tokenizer.add_special_tokens({"additional_special_tokens": SPECIALS[4:]})
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def byte_tokenizer():
    """A byte-level tokenizer with no merges (one token per byte) and a ChatML-style template:
    any text a tiny policy generates decodes and re-encodes without unknown tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    backend = Tokenizer(models.BPE(vocab={ch: i for i, ch in enumerate(alphabet)}, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    backend.add_special_tokens(CHATML_SPECIALS)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="<|pad|>", bos_token="<|im_start|>", eos_token="<|im_end|>"
    )
    tok.chat_template = CHATML_TEMPLATE
    return tok


def tiny_llama_config(tokenizer, hidden: int = 32, layers: int = 2, **extra):
    """A tiny Llama config matching ``tokenizer``; ``extra`` overrides any setting."""
    from transformers import LlamaConfig

    settings = dict(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    return LlamaConfig(**{**settings, **extra})


def make_model(num_labels: int = 1, tokenizer=None, seed: int = 0, hidden: int = 32, layers: int = 2):
    """A tiny Llama sequence classifier matching ``tokenizer``."""
    import torch
    from transformers import LlamaForSequenceClassification

    tokenizer = tokenizer or make_tokenizer()
    torch.manual_seed(seed)
    return LlamaForSequenceClassification(tiny_llama_config(tokenizer, hidden, layers, num_labels=num_labels))


def save_reward_model(path: Path, num_labels: int = 1, chat_template: bool = True, seed: int = 0, **kwargs) -> Path:
    """Write a tiny reward model and its tokenizer to ``path``; returns ``path``."""
    tokenizer = make_tokenizer(chat_template)
    model = make_model(num_labels, tokenizer, seed, **kwargs)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def save_causal_lm(path: Path, chat_template: bool = True, seed: int = 0, hidden: int = 32, layers: int = 2) -> Path:
    """A tiny Llama causal LM (a base model for rm-train), with its tokenizer."""
    import torch
    from transformers import LlamaForCausalLM

    tokenizer = make_tokenizer(chat_template)
    torch.manual_seed(seed)
    path.mkdir(parents=True, exist_ok=True)
    LlamaForCausalLM(tiny_llama_config(tokenizer, hidden, layers)).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def tiny_model_dir(path: Path, *, seed: int = 0) -> Path:
    """Save a 2-layer, 32-wide Llama policy with the byte tokenizer to ``path``; returns ``path``."""
    import torch
    from transformers import GenerationConfig, LlamaForCausalLM

    tok = byte_tokenizer()
    torch.manual_seed(seed)
    config = tiny_llama_config(
        tok, num_attention_heads=2, max_position_embeddings=2048, tie_word_embeddings=True
    )
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id
    )
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path
