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
    old = speed.describe({**record, "by": "probe", "images_per_second": rates})  # a record of before the rounds
    assert "float32 100 img/s" in old and "rounds" not in old
    record = {**record, "by": "probe", "images_per_second": rates, "rounds": 7, "steps_per_round": 4}
    described = speed.describe(record)
    assert described.startswith("Speed probe on this machine (medians of up to 7 interleaved rounds): float32 + XLA 90")


class FakeMachine:
    """A clock that moves only while a candidate runs: ``cost`` seconds a step, times ``load`` while the machine
    is busy elsewhere (during the calls listed in ``busy``, counted from 0)."""

    def __init__(self, cost: dict[str, float], busy: set[int] = frozenset(), load: float = 5.0):
        self.cost, self.busy, self.load = cost, busy, load
        self.now, self.calls = 0.0, []

    def runner(self, name: str):
        def run(steps: int) -> None:
            slower = self.load if len(self.calls) in self.busy else 1.0
            self.calls.append((name, steps))
            self.now += steps * self.cost[name] * slower

        return run

    def probe(self, rounds: int, steps: int) -> dict[str, list[float]]:
        runners = {name: self.runner(name) for name in self.cost}
        return speed.probe(runners, images_per_step=32, rounds=rounds, steps=steps, clock=lambda: self.now)


def test_the_probe_alternates_the_candidates_round_by_round():
    machine = FakeMachine({"a": 0.1, "b": 0.1, "c": 0.1})
    rates = machine.probe(rounds=4, steps=3)
    assert [name for name, _ in machine.calls] == list("abccbaabccba")
    assert all(steps == 3 for _, steps in machine.calls)
    assert rates == {name: [pytest.approx(320.0)] * 4 for name in "abc"}  # 32 images x 3 steps / 0.3 s


def test_a_far_slower_candidate_stops_after_the_screening_rounds():
    machine = FakeMachine({"a": 0.1, "b": 0.1, "slow": 0.21})  # slow's best round is under half of a's median
    rates = machine.probe(rounds=5, steps=2)
    assert [name for name, _ in machine.calls] == ["a", "b", "slow", "slow", "b", "a", "a", "b", "b", "a", "a", "b"]
    assert len(rates["slow"]) == speed.PROBE_SCREEN == 2 and len(rates["a"]) == 5


def test_a_burst_of_load_costs_one_round_not_the_choice(monkeypatch):
    # float32 without XLA is the fastest by 8%; the machine is busy elsewhere while it runs its first round
    # (call 1) and while bfloat16 + XLA runs its last (call 22: 4 candidates x 2 rounds, then 3 x 5, since
    # emulated bfloat16 stops after the screening rounds)
    cost = {"float32 + XLA": 0.100, "float32": 0.092, "mixed_bfloat16 + XLA": 0.150, "mixed_bfloat16": 0.400}
    machine = FakeMachine(cost, busy={1, 22})
    rates = machine.probe(rounds=7, steps=4)
    assert rates["float32"][0] == pytest.approx(32 / 0.092 / 5)
    assert rates["mixed_bfloat16 + XLA"][-1] == pytest.approx(32 / 0.15 / 5)
    assert sorted(rates["float32"])[1:] == [pytest.approx(32 / 0.092)] * 6
    assert [len(values) for values in rates.values()] == [7, 7, 7, 2]

    machine = FakeMachine(cost, busy={1, 22})
    probe = speed.probe
    monkeypatch.setattr(speed, "runners", lambda *args, **kwargs: {name: machine.runner(name) for name in cost})
    monkeypatch.setattr(speed, "probe", lambda *args: probe(*args, clock=lambda: machine.now))
    config, record = speed.choose(dl.make_config(), images=None, total_steps=600)
    assert len(machine.calls) == 4 * 2 + 3 * (speed.PROBE_ROUNDS - 2)
    assert {steps for _, steps in machine.calls} == {speed.PROBE_STEPS}
    medians = {"float32 + XLA": 320.0, "float32": 347.8, "mixed_bfloat16 + XLA": 213.3, "mixed_bfloat16": 80.0}
    assert record["images_per_second"] == medians  # the bursts are in no median
    assert (config.precision, config.xla) == ("float32", False) and record["chosen"] == "float32"
    assert (record["rounds"], record["steps_per_round"]) == (speed.PROBE_ROUNDS, speed.PROBE_STEPS)


def test_measure_times_real_compiled_steps():
    images = dl.load_mnist(SLICE).train_images
    config = dl.make_config(batch_size=8, xla=False)
    rates = speed.measure(config, images, [("float32", False)], rounds=2, steps=2, warmup=1)
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
