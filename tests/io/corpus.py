"""Small corpora in the seeds' file-based format (corpus/nodes.json + vectors/nodes.npy)."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

T0 = datetime(2024, 12, 1, 9, 30, tzinfo=UTC)
INTENTS = ["question", "request", "statement", "command"]


def node(i: int, **over: Any) -> dict[str, Any]:
    """A valid MemoryNode record like the seeds' store holds (plus tenant/user ids, which
    the importer must ignore)."""
    rec: dict[str, Any] = {
        "id": f"mem_{i:016x}",
        "conversation_id": f"conv_{i // 4}",
        "sequence_index": i % 4,
        "human_content": f"question {i}: how do I rotate the {i} logs?",
        "assistant_content": f"answer {i}: use logrotate with a weekly rule ({'é' * (i % 3)})",
        "source": "import",
        "created_at": (T0 + timedelta(minutes=i)).isoformat(),
        "intent_type": INTENTS[i % 4],
        "complexity": "moderate",
        "technical_depth": i % 11,
        "emotional_valence": "neutral",
        "urgency": "low",
        "conversation_mode": "task",
        "action_required": i % 2 == 0,
        "has_code": i % 3 == 0,
        "has_error": False,
        "tags": ["ops", f"t{i % 5}"],
        "cluster_id": i % 7 - 1,
        "cluster_label": f"cluster {i % 7}",
        "cluster_confidence": round((i % 10) / 10 + 0.05, 2),
        "access_count": i % 5,
        "last_accessed": (T0 + timedelta(days=1, minutes=i)).isoformat() if i % 2 else None,
        "tenant_id": "11111111-1111-1111-1111-111111111111",
        "user_id": "someone@example.com",
    }
    rec.update(over)
    return rec


def vectors(n: int, dims: int = 384, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, dims)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def write_store(folder: Path, records: list[Any], vecs: np.ndarray | None = None,
                dims: int = 384, raw: str | None = None) -> Path:
    """Write DIR/corpus/nodes.json and DIR/vectors/nodes.npy; returns DIR."""
    (folder / "corpus").mkdir(parents=True, exist_ok=True)
    (folder / "vectors").mkdir(parents=True, exist_ok=True)
    text = raw if raw is not None else json.dumps(records, indent=1)
    (folder / "corpus" / "nodes.json").write_text(text, encoding="utf-8",
                                                  errors="surrogatepass")
    np.save(folder / "vectors" / "nodes.npy",
            vectors(len(records), dims) if vecs is None else vecs)
    return folder

