"""The settings of a training run: the report's defaults, the paper's preset, and their checks.

Plain Python: the checks here run before any model is built, so bad values fail at once.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

GENERATOR_LOSSES = ("non_saturating", "minimax")

CONDITIONAL_KINDS = ("concat", "projection")  # how the discriminator reads the label (models.py)

PRECISIONS = {"float32": None, "mixed_bfloat16": "mixed_bfloat16"}

# Presets change only what they name; everything else keeps the report's value.
PRESETS: dict[str, dict] = {
    "report": {},  # the student report: LeakyReLU 0.3, Adam 3e-4
    "paper": {"alpha": 0.2, "lr": 2e-4},  # Radford et al. 2015
}


class SettingsError(ValueError):
    """Settings that cannot make a run; the message names each bad setting and what it may be."""

    def _render_traceback_(self) -> list[str]:
        # IPython (and so papermill) shows this instead of a traceback, whose context would be the whole call,
        # often pointing at another parameter than the bad one.
        return [f"SettingsError: {self}"]


def setting(default, help: str, flag: str | None = None, choices=None, const=None):
    """A field of :class:`TrainConfig` with what the command line says about it (one place for both: the
    help names the report's value and the presets' from the defaults, see :func:`help_text`); ``const``: what
    the flag given without a value means."""
    return dataclasses.field(default=default, metadata={"help": help, "flag": flag, "choices": choices, "const": const})


@dataclass(frozen=True)
class TrainConfig:
    """Every hyperparameter of a run. The defaults are the report's settings. The command line's
    ``train`` flags are made from these fields (``--batch-size`` for ``batch_size``, ...)."""

    epochs: int = setting(35, "epochs to train")
    batch_size: int = setting(32, "images per step")
    lr: float = setting(3e-4, "Adam learning rate")
    beta_1: float = setting(0.5, "Adam beta_1", flag="--beta1")
    alpha: float = setting(0.3, "LeakyReLU slope in D")
    latent_dim: int = setting(100, "size of z")
    seed: int = setting(0, "seed of weights, data order and noise")
    subset: int | None = setting(None, "train on a seeded subset of N images (default: all 60,000)")
    snapshot_every: int | None = setting(
        None, "steps between snapshots of the fixed noise (default: 4 an epoch); every epoch's end has one too"
    )
    snapshot_size: int = setting(500, "how many fixed z to follow")
    log_every: int = setting(50, "steps between history rows")
    precision: str | None = setting(
        None, "number format of the models (default: the fastest on this machine, measured)", choices=tuple(PRECISIONS)
    )
    xla: bool | None = setting(None, "compile the step with XLA, or not (default: the fastest here, measured)")
    g_loss: str = setting("non_saturating", "generator loss", choices=GENERATOR_LOSSES)
    label_smoothing: float = setting(0.0, "one-sided label smoothing: real labels become 1 - s")
    d_lr: float | None = setting(None, "the discriminator's own Adam learning rate (two time scales; default: --lr)")
    d_input_bn: bool = setting(
        True, "batch normalization after D's first layer (the report's; --no-d-input-bn: the paper's)"
    )
    spectral_norm: bool = setting(False, "spectral normalization on D's weight layers (Miyato et al. 2018)")
    ema: float | None = setting(None, "keep an exponential moving average of G's weights with this decay, e.g. 0.999")
    ema_debiased: bool = setting(
        False,
        "with --ema: start the average from nothing and divide by 1 - decay^t, as Adam does (the untrained G weighs "
        "nothing), and average batch normalization's statistics too (the average draws with statistics of its own)",
    )
    conditional: str | None = setting(
        None,
        "train a conditional DCGAN: both players take the digit's label; the discriminator reads it as input "
        "channels (concat, the default) or through a projection head (Miyato & Koyama 2018)",
        choices=CONDITIONAL_KINDS,
        const="concat",
    )
    preset: str = setting("report", "base settings that the flags change", choices=tuple(PRESETS))

    def __post_init__(self):
        problems = []
        for name in ("epochs", "batch_size", "latent_dim", "snapshot_size", "log_every"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                problems.append(f"{name} must be a whole number of at least 1, got {getattr(self, name)!r}")
        for name in ("subset", "snapshot_every"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                problems.append(f"{name} must be a whole number of at least 1 (or None), got {value!r}")
        if self.subset is not None and isinstance(self.subset, int) and self.subset < self.batch_size:
            problems.append(f"subset ({self.subset}) must hold at least one batch of {self.batch_size}")
        for name in ("lr", "beta_1", "alpha", "label_smoothing", "d_lr", "ema"):
            value = getattr(self, name)
            if value is None and name in ("d_lr", "ema"):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                problems.append(f"{name} must be a finite number, got {value!r}")
        for name in ("xla", "d_input_bn", "spectral_norm", "ema_debiased"):
            if not isinstance(getattr(self, name), bool) and not (name == "xla" and self.xla is None):
                problems.append(f"{name} must be True or False, got {getattr(self, name)!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            problems.append(f"seed must be a whole number of at least 0, got {self.seed!r}")
        if problems:  # the range checks below need finite numbers
            raise SettingsError("; ".join(problems))
        if not self.lr > 0:
            problems.append(f"lr must be positive, got {self.lr!r}")
        if self.d_lr is not None and not self.d_lr > 0:
            problems.append(f"d_lr must be positive, got {self.d_lr!r}")
        if self.ema is not None and not 0 < self.ema < 1:
            problems.append(f"ema (the averaging decay) must be in (0, 1), e.g. 0.999, got {self.ema!r}")
        if self.ema_debiased and self.ema is None:
            problems.append("ema_debiased changes the generator's average: give its decay too, e.g. ema 0.999")
        if not 0 <= self.beta_1 < 1:
            problems.append(f"beta_1 must be in [0, 1), got {self.beta_1!r}")
        if not self.alpha >= 0:
            problems.append(f"alpha (the LeakyReLU slope) must be at least 0, got {self.alpha!r}")
        if not 0 <= self.label_smoothing < 0.5:
            problems.append(f"label_smoothing must be in [0, 0.5), got {self.label_smoothing!r}")
        if self.precision is not None and self.precision not in PRECISIONS:
            problems.append(f"unknown precision {self.precision!r}; choose one of {', '.join(PRECISIONS)}")
        if self.g_loss not in GENERATOR_LOSSES:
            problems.append(f"unknown g_loss {self.g_loss!r}; choose one of {', '.join(GENERATOR_LOSSES)}")
        if self.conditional is not None and self.conditional not in CONDITIONAL_KINDS:
            problems.append(
                f"unknown conditional {self.conditional!r}; choose one of {', '.join(CONDITIONAL_KINDS)} (or None)"
            )
        if self.preset not in PRESETS:
            problems.append(f"unknown preset {self.preset!r}; choose one of {', '.join(PRESETS)}")
        if problems:
            raise SettingsError("; ".join(problems))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def help_text(field: dataclasses.Field) -> str:
    """A setting's help with its values, from the one place they are declared: "size of z (report 100)",
    "Adam learning rate (report 0.0003, paper 0.0002)"; open settings (default None) explain their default."""
    if field.default is None or field.name == "preset" or isinstance(field.default, bool):
        return field.metadata["help"]
    values = [f"{name} {PRESETS[name].get(field.name, field.default)}" for name in PRESETS]
    if all(field.name not in overrides for overrides in PRESETS.values()):
        values = values[:1]
    return f"{field.metadata['help']} ({', '.join(values)})"


def make_config(preset: str = "report", **overrides) -> TrainConfig:
    """A config from a named preset, then explicit overrides (None means: keep the preset's)."""
    if preset not in PRESETS:
        raise SettingsError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise SettingsError(f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    values = {**PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None}}
    return TrainConfig(preset=preset, **values)


def setting_differences(stored: dict, asked: dict) -> list[str]:
    """``"name: stored X, asked Y"`` for every setting both hold with different values, ``epochs`` aside
    (extending a run is allowed); a setting newer than the stored run is no conflict."""
    return [
        f"{k}: stored {stored[k]!r}, asked {v!r}"
        for k, v in asked.items()
        if k != "epochs" and k in stored and stored[k] != v
    ]


def config_to_resume(stored: dict, **changes) -> TrainConfig:
    """The config of a run to continue: its own stored settings, with ``changes`` (None: keep) applied.

    Only ``epochs`` may change (to extend a run); any other setting that differs from the stored one
    would mix two runs in one folder, so it is refused with the list of differences."""
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise SettingsError(f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    base = {k: v for k, v in stored.items() if k in known}  # a setting newer than the run keeps its default
    differ = setting_differences(base, {k: v for k, v in changes.items() if v is not None})
    if differ:
        raise SettingsError(
            f"the run holds other settings ({'; '.join(differ)}); resume it with its own settings "
            f"(leave these out), or start a new run"
        )
    if changes.get("epochs") is not None:
        base["epochs"] = changes["epochs"]
    return TrainConfig(**base)
