"""The speech_synthesis grader's data: token sequences and the acoustic frames they sound like.

A "language" is drawn from the run's secret: each of ``VOCAB_SIZE`` tokens (a
phoneme) has two formants, each a centre on the mel axis (in bins) and a
strength, and a loudness.  A frame is a log-mel-like vector of ``FRAME_DIM``
values: the loudness plus a Gaussian bump per formant, minus 1, so that values
are real, from about -3 to +3.  Co-articulation: a token's ``FRAMES_PER_TOKEN``
frames glide from the previous token's formants towards its own (frame ``j``
is ``(j + 1) / (frames_per_token + 1)`` of the way), so the frames of a token
depend on its left neighbour; the first token glides from silence.

Everything here is the grader's own float64 NumPy; only token ids and noisy
training frames are ever sent to the worker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.checks import Handle, VerifiedModel, model_outputs, verify_keras_model

VOCAB_SIZE = 10
FRAME_DIM = 12
FRAMES_PER_TOKEN = 2
TOKENS = 8  # tokens per training sequence
EMBEDDING_DIM = 12  # not build_synthesizer's default 32, so that a model ignoring embedding_dim fails
UNITS = 48  # not the default 64, likewise
TRAIN_SEQUENCES = 384
TRAINING = {"epochs": 14, "batch_size": 24, "learning_rate": 1e-2}  # 16 batches per epoch
TRAIN_DEADLINE_SECONDS = 120
NOISE = 0.1  # standard deviation of the noise added to the training frames
JUDGE_SEQUENCES = 200
FORMANT_WIDTH = 1.3  # bins
SILENCE = 0.0  # loudness of silence; its formants are at the centre, with strength 0


@dataclass(frozen=True)
class Language:
    """The secret sound of every token: formant centres and strengths (vocab, 2), loudness (vocab,)."""

    centres: np.ndarray
    strengths: np.ndarray
    loudness: np.ndarray


def draw_language(rng: np.random.Generator) -> Language:
    """Draw the formants and loudness of each token."""
    centres = np.sort(rng.uniform(0.5, FRAME_DIM - 1.5, size=(VOCAB_SIZE, 2)), axis=1)
    strengths = rng.uniform(1.0, 3.0, size=(VOCAB_SIZE, 2))
    loudness = rng.uniform(-2.0, 0.5, size=VOCAB_SIZE)
    return Language(centres, strengths, loudness)


def draw_tokens(rng: np.random.Generator, count: int, tokens: int = TOKENS) -> np.ndarray:
    """``count`` sequences of ``tokens`` uniformly drawn token ids, int32 of shape (count, tokens)."""
    return rng.integers(0, VOCAB_SIZE, size=(count, tokens)).astype(np.int32)


def frames_for(language: Language, token_ids: np.ndarray, frames_per_token: int = FRAMES_PER_TOKEN) -> np.ndarray:
    """The noise-free frames of ``token_ids`` (n, tokens): float64 (n, tokens * frames_per_token, FRAME_DIM)."""
    count, tokens = token_ids.shape
    centre = np.full((1, 2), (FRAME_DIM - 1) / 2.0)
    previous = np.concatenate([np.full((count, 1), -1), token_ids[:, :-1]], axis=1)
    silent = previous < 0
    previous_centres = np.where(silent[..., None], centre, language.centres[np.maximum(previous, 0)])
    previous_strengths = np.where(silent[..., None], 0.0, language.strengths[np.maximum(previous, 0)])
    previous_loudness = np.where(silent, SILENCE, language.loudness[np.maximum(previous, 0)])
    bins = np.arange(FRAME_DIM, dtype=np.float64)
    frames = np.empty((count, tokens, frames_per_token, FRAME_DIM))
    for j in range(frames_per_token):
        way = (j + 1) / (frames_per_token + 1)
        centres = (1 - way) * previous_centres + way * language.centres[token_ids]  # (n, tokens, 2)
        strengths = (1 - way) * previous_strengths + way * language.strengths[token_ids]
        loudness = (1 - way) * previous_loudness + way * language.loudness[token_ids]
        bumps = strengths[..., None] * np.exp(-((bins - centres[..., None]) ** 2) / (2 * FORMANT_WIDTH**2))
        frames[:, :, j] = loudness[..., None] + bumps.sum(axis=2) - 1.0
    return frames.reshape(count, tokens * frames_per_token, FRAME_DIM)


def noisy(rng: np.random.Generator, frames: np.ndarray) -> np.ndarray:
    """``frames`` plus Gaussian noise of standard deviation NOISE, as float32."""
    return (frames + rng.normal(0.0, NOISE, size=frames.shape)).astype(np.float32)


def per_token_mean_frames(token_ids: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """The baseline: for each token, the mean of its frames (per position j) over the data, (vocab, r, F)."""
    count, tokens = token_ids.shape
    by_token = frames.reshape(count * tokens, -1, frames.shape[-1])
    flat = token_ids.reshape(-1)
    means = np.zeros((VOCAB_SIZE, *by_token.shape[1:]))
    for token in range(VOCAB_SIZE):
        chosen = by_token[flat == token]
        if len(chosen):
            means[token] = chosen.mean(axis=0)
    return means


def baseline_frames(means: np.ndarray, token_ids: np.ndarray) -> np.ndarray:
    """The per-token mean frames for ``token_ids``: (n, tokens * r, F)."""
    count, tokens = token_ids.shape
    return means[token_ids].reshape(count, tokens * means.shape[1], means.shape[2])


def synthesize(
    model: Handle,
    token_ids: np.ndarray,
    *,
    hint: str,
    frames_per_token: int = FRAMES_PER_TOKEN,
    frame_dim: int = FRAME_DIM,
) -> np.ndarray:
    """The model's frames for ``token_ids``, finite float64 (n, tokens * frames_per_token, frame_dim), or fail."""
    count, tokens = token_ids.shape
    return model_outputs(
        model,
        token_ids,
        what=f"model.predict_on_batch(token_ids) for token_ids of shape {token_ids.shape}",
        shape=(count, tokens * frames_per_token, frame_dim),
        hint=hint,
    )


def verified(
    submission, model: Handle, *, what: str, rng: np.random.Generator, vocab_size: int = VOCAB_SIZE, tokens: int = 5
) -> VerifiedModel:
    """The candidate's model rebuilt here and proven to compute what theirs does on secret token ids."""
    probe = rng.integers(0, vocab_size, size=(6, tokens)).astype(np.int32)
    return verify_keras_model(submission, model, probe_inputs=probe, what=what)


RECURRENT_CLASSES = ("LSTM", "GRU", "SimpleRNN")


def recurrent_units(model: VerifiedModel) -> list[int]:
    """The units of every recurrent layer of a verified model, looking inside Bidirectional and RNN wrappers."""
    found = []
    for layer in model.layers():
        if layer.class_name in RECURRENT_CLASSES:
            found.append(layer.config.get("units"))
        elif layer.class_name in ("Bidirectional", "RNN"):
            inner = layer.config.get("layer") or layer.config.get("cell") or {}
            found.append(inner.get("config", {}).get("units") if isinstance(inner, dict) else None)
    return found
