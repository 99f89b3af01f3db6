"""A cross-encoder that reads a question and the text an answer would quote, together.

The bundled multilingual-e5-small is the base: its embeddings and lower layers are shared with
the embedding model already in memory (frozen), its top `TOP_LAYERS` layers are copied and
fine-tuned, and a linear head on the first token gives the logit that the text answers the
question. Only the top layers and the head are saved (`cross.safetensors`, fp16), so the model
ships in a few MB over weights every installation already has.

Contract as sentence-transformers' CrossEncoder: `fit(pairs, labels)`, `predict(pairs)` ->
probabilities in [0, 1].
"""

from __future__ import annotations

import copy
import math
import random
from pathlib import Path

import numpy as np

TOP_LAYERS = 4
MAX_TOKENS = 96
FILE = "cross.safetensors"


class CrossReader:
    def __init__(self, encoder, tokenizer, top_state: dict | None = None, seed: int = 13):
        """`encoder`: the e5 BertModel of the embedding model (shared, never changed)."""
        import torch
        from transformers import BertConfig, BertModel

        torch.manual_seed(seed)
        config = BertConfig(**{**encoder.config.to_dict(), "vocab_size": 2})  # embeddings come from `encoder`
        model = BertModel(config, add_pooling_layer=False)
        model.embeddings = encoder.embeddings
        n = config.num_hidden_layers
        for i in range(n - TOP_LAYERS):
            model.encoder.layer[i] = encoder.encoder.layer[i]
        for i in range(n - TOP_LAYERS, n):
            model.encoder.layer[i] = copy.deepcopy(encoder.encoder.layer[i])
        self.model, self.tokenizer = model, tokenizer
        self.head = torch.nn.Linear(config.hidden_size, 1)
        self.trainable = [p for i in range(n - TOP_LAYERS, n) for p in model.encoder.layer[i].parameters()] + list(self.head.parameters())
        if top_state is not None:
            self._load_state(top_state)

    # --- reading ----------------------------------------------------------------------------
    def _batch(self, pairs: list[tuple[str, str]]):
        questions = [f"query: {q}" for q, _ in pairs]
        texts = [f"passage: {t}" for _, t in pairs]
        return self.tokenizer(questions, texts, truncation="longest_first", max_length=MAX_TOKENS, padding=True, return_tensors="pt")

    def _logits(self, batch):
        out = self.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], token_type_ids=batch.get("token_type_ids"))
        return self.head(out.last_hidden_state[:, 0]).squeeze(-1)

    def predict(self, pairs: list[tuple[str, str]], batch_size: int = 16) -> np.ndarray:
        import torch

        if not pairs:
            return np.zeros(0)
        self.model.eval()
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        out = np.zeros(len(pairs))
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                logits = self._logits(self._batch([pairs[i] for i in idx]))
                out[idx] = torch.sigmoid(logits).numpy()
        return out

    # --- learning ---------------------------------------------------------------------------
    def fit(
        self,
        pairs: list[tuple[str, str]],
        labels: list[float],
        *,
        epochs: int = 1,
        batch_size: int = 16,
        lr: float = 4e-5,
        head_lr: float = 1e-3,
        seed: int = 13,
        progress=None,
    ) -> "CrossReader":
        import torch

        torch.manual_seed(seed)
        rng = random.Random(seed)
        for p in self.model.parameters():
            p.requires_grad_(False)
        for p in self.trainable:
            p.requires_grad_(True)
        head = list(self.head.parameters())
        layers = [p for p in self.trainable if all(p is not h for h in head)]
        optim = torch.optim.AdamW([{"params": layers, "lr": lr}, {"params": head, "lr": head_lr}], weight_decay=0.01)
        steps = epochs * math.ceil(len(pairs) / batch_size)
        sched = torch.optim.lr_scheduler.LambdaLR(
            optim, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) * max(0.0, 1 - s / max(1, steps))
        )
        positives = sum(labels) or 1.0
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(max(1.0, (len(labels) - positives) / positives)))
        self.model.train()
        for layer in self.model.encoder.layer[:-TOP_LAYERS]:
            layer.eval()  # shared with the embedding model: no dropout there
        self.model.embeddings.eval()
        for _ in range(epochs):
            order = list(range(len(pairs)))
            rng.shuffle(order)
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                batch = self._batch([pairs[i] for i in idx])
                target = torch.tensor([labels[i] for i in idx], dtype=torch.float32)
                loss = loss_fn(self._logits(batch), target)
                optim.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.trainable, 1.0)
                optim.step()
                sched.step()
                if progress is not None:
                    progress.update(len(idx))
        for p in self.trainable:
            p.requires_grad_(False)
        self.model.eval()
        return self

    # --- files ------------------------------------------------------------------------------
    def _top_state(self) -> dict:
        n = self.model.config.num_hidden_layers
        state = {f"layer.{i}.{k}": v for i in range(n - TOP_LAYERS, n) for k, v in self.model.encoder.layer[i].state_dict().items()}
        state.update({f"head.{k}": v for k, v in self.head.state_dict().items()})
        return state

    def _load_state(self, state: dict) -> None:
        n = self.model.config.num_hidden_layers
        for i in range(n - TOP_LAYERS, n):
            prefix = f"layer.{i}."
            self.model.encoder.layer[i].load_state_dict({k[len(prefix) :]: v.float() for k, v in state.items() if k.startswith(prefix)})
        self.head.load_state_dict({k[5:]: v.float() for k, v in state.items() if k.startswith("head.")})

    def save(self, folder: Path) -> None:
        from safetensors.torch import save_file

        save_file({k: v.detach().half().contiguous() for k, v in self._top_state().items()}, str(Path(folder) / FILE))

    @classmethod
    def load(cls, folder: Path, encoder, tokenizer) -> "CrossReader":
        from safetensors.torch import load_file

        return cls(encoder, tokenizer, load_file(str(Path(folder) / FILE)))
