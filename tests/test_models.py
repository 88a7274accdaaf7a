from dcgan_lessons import models
from dcgan_lessons.models import build_discriminator, build_generator, layer_table

import keras
import numpy as np
import pytest

from .conftest import ROOT

# The report's two parameter tables, layer by layer: (output shape, parameters).
GENERATOR_TABLE = [
    ((12544,), 1_266_944),  # Dense 100 -> 7*7*256, with bias
    ((12544,), 50_176),  # BatchNormalization
    ((12544,), 0),  # ReLU
    ((7, 7, 256), 0),  # Reshape
    ((14, 14, 128), 819_328),  # Conv2DTranspose 128, 5x5, stride 2
    ((14, 14, 128), 512),
    ((14, 14, 128), 0),
    ((28, 28, 64), 204_864),  # Conv2DTranspose 64, 5x5, stride 2
    ((28, 28, 64), 256),
    ((28, 28, 64), 0),
    ((28, 28, 1), 1_601),  # Conv2D 1, 5x5
    ((28, 28, 1), 0),  # tanh
]
DISCRIMINATOR_TABLE = [
    ((14, 14, 64), 1_664),
    ((14, 14, 64), 256),
    ((14, 14, 64), 0),
    ((7, 7, 128), 204_928),
    ((7, 7, 128), 512),
    ((7, 7, 128), 0),
    ((6272,), 0),
    ((1,), 6_273),
    ((1,), 0),
]


def test_generator_matches_the_report_layer_by_layer():
    g = build_generator()
    assert [(shape, n) for _, _, shape, n in layer_table(g)] == GENERATOR_TABLE
    assert g.count_params() == 2_343_681


def test_discriminator_matches_the_report_layer_by_layer():
    d = build_discriminator()
    assert [(shape, n) for _, _, shape, n in layer_table(d)] == DISCRIMINATOR_TABLE
    assert d.count_params() == 213_633
    assert [type(layer).__name__ for layer in d.layers][:3] == ["Conv2D", "BatchNormalization", "LeakyReLU"]


def test_weights_start_from_normal_0_002():
    g = build_generator(seed=1)
    kernel = g.get_layer("up1").kernel.numpy()
    assert abs(kernel.mean()) < 1e-3
    assert kernel.std() == pytest.approx(0.02, rel=0.05)


def test_outputs_have_the_right_ranges():
    g, d = build_generator(seed=0), build_discriminator(seed=0)
    images = g(np.random.default_rng(0).standard_normal((4, 100)).astype("float32"), training=False)
    assert images.shape == (4, 28, 28, 1)
    assert float(keras.ops.min(images)) >= -1 and float(keras.ops.max(images)) <= 1
    probs = d(images, training=False).numpy()
    assert probs.shape == (4, 1) and ((probs > 0) & (probs < 1)).all()


def test_options_change_the_model():
    g = build_generator(latent_dim=16, filters=(32, 16, 8))
    assert g.input_shape == (None, 16) and g.output_shape == (None, 28, 28, 1)
    d = build_discriminator(alpha=0.2)
    assert d.get_layer("down1_lrelu").negative_slope == pytest.approx(0.2)
    assert build_discriminator().get_layer("down2_lrelu").negative_slope == pytest.approx(0.3)


def test_same_seed_same_weights():
    a, b = build_generator(seed=5), build_generator(seed=5)
    assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights(), strict=True))


def test_mixed_precision_keeps_float32_outputs():
    g = build_generator(dtype="mixed_bfloat16")
    d = build_discriminator(dtype="mixed_bfloat16")
    assert g.get_layer("up1").compute_dtype == "bfloat16"
    images = g(np.zeros((2, 100), "float32"))
    assert images.dtype == "float32" and d(images).dtype == "float32"


def test_the_models_and_the_pipeline_default_to_the_settings_trainconfig_declares():
    """TrainConfig is where the report's settings are declared; the builders' and the pipeline's defaults and
    notebook 05's parameters that are the report's must agree with it."""
    import inspect
    import json

    from dcgan_lessons.config import TrainConfig
    from dcgan_lessons.data import make_dataset

    report = TrainConfig()

    def default(function, name):
        return inspect.signature(function).parameters[name].default

    for function in (models.build_generator, models.build_conditional_generator):
        assert default(function, "latent_dim") == report.latent_dim
    for function in (models.build_discriminator, models.build_conditional_discriminator, models.activation_curves):
        assert default(function, "alpha") == report.alpha
    assert default(make_dataset, "batch_size") == report.batch_size
    notebook = json.loads((ROOT / "notebooks" / "05_training.ipynb").read_text())
    cell = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
    values: dict = {"dl": None}
    exec("".join(cell["source"]).replace("dl.notebooks.quick()", "False"), values)
    for name in ("batch_size", "beta_1", "latent_dim", "seed"):
        assert values[name] == getattr(report, name), name
