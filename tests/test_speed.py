"""Choosing precision and XLA by measurement: the rule, the probe, and what a run folder records."""

import dcgan_lessons as dl
from dcgan_lessons import speed

import pytest

from tests.conftest import QUICK, SLICE

AVX2 = {"fma", "avx", "avx2"}
AVX512_BF16 = AVX2 | {"avx512f", "avx512_bf16"}


def test_the_rule_follows_the_measured_cpu_kinds():
    assert speed.rule(AVX2) == ("float32", True)
    assert speed.rule(AVX512_BF16) == ("mixed_bfloat16", False)
    assert speed.rule(AVX512_BF16, gpu=True) == ("float32", True)


def test_candidates_are_what_the_flags_leave_open():
    assert len(speed.candidates(dl.make_config())) == 4
    assert speed.candidates(dl.make_config(xla=False)) == [("float32", False), ("mixed_bfloat16", False)]
    assert speed.candidates(dl.make_config(precision="float32", xla=True)) == [("float32", True)]


def test_choose_takes_the_fastest_measured_option(monkeypatch):
    rates = {"float32 + XLA": 90.0, "float32": 100.0, "mixed_bfloat16 + XLA": 80.0, "mixed_bfloat16": 20.0}
    monkeypatch.setattr(speed, "measure", lambda *args, **kwargs: rates)
    config, record = speed.choose(dl.make_config(), images=None, total_steps=600)
    assert (config.precision, config.xla) == ("float32", False)
    assert record["by"] == "probe" and record["images_per_second"] == rates and record["chosen"] == "float32"
    short, record = speed.choose(dl.make_config(), images=None, total_steps=100)
    assert record["by"] == "rule" and (short.precision, short.xla) == speed.rule(speed.cpu_flags(), speed.has_gpu())
    assert "float32 100 img/s" in speed.describe({**record, "by": "probe", "images_per_second": rates})


def test_measure_times_real_compiled_steps():
    images = dl.load_mnist(SLICE).train_images
    config = dl.make_config(batch_size=8, xla=False)
    rates = speed.measure(config, images, [("float32", False)], steps=2, warmup=1)
    assert list(rates) == ["float32"] and rates["float32"] > 0


@pytest.mark.slow
def test_a_probed_run_records_its_choice_and_resuming_keeps_it(tmp_path, monkeypatch, capfd):
    calls = []

    def fake_measure(config, images, options, **kwargs):
        calls.append(options)
        return {speed.label(*o): 10.0 - i for i, o in enumerate(options)}  # the first option is "fastest"

    monkeypatch.setattr(speed, "measure", fake_measure)
    monkeypatch.setattr(speed, "PROBE_MIN_STEPS", 8)
    quick = {**QUICK, "epochs": 1, "precision": None, "xla": None}
    run = dl.train(dl.make_config(**quick), tmp_path / "run", mnist_dir=SLICE, verbose=2)
    assert calls == [[("float32", True), ("float32", False), ("mixed_bfloat16", True), ("mixed_bfloat16", False)]]
    assert run.config["speed"]["by"] == "probe" and (run.config["precision"], run.config["xla"]) == ("float32", True)
    assert "Speed probe on this machine" in capfd.readouterr().out
    extended = dl.train(dl.make_config(**{**quick, "epochs": 2}), run.path, resume=True, mnist_dir=SLICE, verbose=0)
    assert len(calls) == 1  # no second probe: the run keeps its settings and its record
    assert (extended.config["precision"], extended.config["xla"]) == ("float32", True), extended.config
    assert extended.config["speed"]["by"] == "probe"
