"""Sentences the series states about measured data, worded by the numbers.

A notebook shows ``Markdown(claims.some_sentence(...))``; the numbers themselves come from
:mod:`dcgan_lessons.stats`. The test suite calls the same functions on the committed data (the reference
run, the sweeps), so a false sentence fails CI even where the notebooks run in quick settings.
"""

from __future__ import annotations

import numpy as np

from .stats import LN2, direction, expected_extreme, improvement, later_worse, over_represented, rank_correlation, trend

MEASURES = (("frechet", False, "Frechet distance"), ("score", True, "classifier score"))  # (key, higher is better)


def more_or_less(
    value: float, noise: float, more: str = "more", less: str = "less", same: str = "about as much"
) -> str:
    """The word for ``value`` (a difference) against ``noise`` (its uncertainty): ``more``, ``less`` or ``same``."""
    if value > noise:
        return more
    if value < -noise:
        return less
    return same


def _show(value: float | None, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def analysis_summary(result: dict, reference: dict | None = None) -> str:
    """A readable account of a run's switching, from :meth:`dcgan_lessons.analysis.RunAnalysis.to_dict` (what
    ``dcgan-lessons analyze`` prints; ``reference``: one held-out set of real digits judged alike)."""
    snaps = result["snapshots"]
    final = snaps[-1]
    lines = [
        f"Run {result['run']}: {len(snaps)} snapshots of the same {result['n']} z, steps {snaps[0]['step']} "
        f"to {snaps[-1]['step']}.",
        f"Final snapshot (step {final['step']}): {final['modes']}/10 modes, classifier score {final['score']:.2f}, "
        f"Frechet {_show(final['frechet'])}, "
        f"confidence {final['confidence']:.3f}, KL to uniform "
        f"{final['kl_uniform']:.3f}.",
    ]
    if reference:
        lines.append(
            f"One held-out set of real test digits (N={reference['n']}): {reference['modes']}/10 modes, "
            f"score {reference['score']:.2f}, Frechet {reference['frechet']:.2f}, "
            f"confidence {reference['confidence']:.3f}."
        )
    lines.append("Digits drawn (%): " + " ".join(f"{d}:{100 * h:.0f}" for d, h in enumerate(final["hist"])))
    transitions = result["transitions"]
    if not transitions:
        lines.append("Only one snapshot: nothing can switch yet.")
        return "\n".join(lines)
    rates = [t["switch_rate"] for t in transitions]
    lines.append(
        f"Switch rate between snapshots: first {rates[0]:.1%}, last {rates[-1]:.1%}, mean {np.mean(rates):.1%}."
    )
    top = list(result["total"]["switches"].items())[:8]
    lines.append("Most frequent switches: " + (", ".join(f"{k} ({v})" for k, v in top) or "none"))
    for key, entry in result["zero_eight"].items():
        steps = sorted({e["to_step"] for e in entry["events"]})
        where = f" (by steps {', '.join(map(str, steps[:12]))}{', ...' if len(steps) > 12 else ''})" if steps else ""
        lines.append(f"{key}: {entry['count']} switches{where}.")
    stab = result["stability"]
    sure, unsure = stab["confident"], stab["uncertain"]
    lines.append(
        f"Confident digits (p >= {stab['threshold']}) switch {_show(sure['switch_rate'], '.1%')} of the time "
        f"({sure['count']} cases), uncertain ones {_show(unsure['switch_rate'], '.1%')} ({unsure['count']} cases)."
    )
    return "\n".join(lines)


def loss_trend(history: dict, name: str = "This run") -> str:
    """Where a run's epoch-mean losses went and how far from ln 2 they ended, in one paragraph."""
    epochs = history.get("epochs", [])
    if not epochs:
        return f"{name} has no finished epoch yet: nothing to say about its losses."
    first, last = epochs[0], epochs[-1]
    d_gap, g_gap = last["d_loss"] - LN2, last["g_loss"] - LN2
    span = (
        f"over its {len(epochs)} epochs the epoch means of d_loss went from {first['d_loss']:.3f} to "
        f"{last['d_loss']:.3f} and of g_loss from {first['g_loss']:.3f} to {last['g_loss']:.3f}"
        if len(epochs) > 1
        else f"after its one epoch the means are d_loss {last['d_loss']:.3f} and g_loss {last['g_loss']:.3f}"
    )
    near = max(abs(d_gap), abs(g_gap)) < 0.05
    gaps = [e["d_real"] - e["d_fake"] for e in epochs]
    below = sum(e["d_loss"] < LN2 for e in epochs)
    steady = min(gaps) > 0 and below == len(epochs)
    every, least = (f"in all {len(epochs)} epochs", " at the least") if len(epochs) > 1 else ("in its epoch", "")
    verdict = (
        f"both within 0.05 of ln 2 = {LN2:.3f}"
        if near
        else f"{abs(d_gap):.3f} {'below' if d_gap < 0 else 'above'} and {abs(g_gap):.3f} "
        f"{'below' if g_gap < 0 else 'above'} ln 2 = {LN2:.3f}"
    )
    edge = (
        f"the discriminator keeps an edge {every}: the mean D(x) exceeds the mean D(G(z)) by {min(gaps):.3f}{least} "
        f"(D(x) {last['d_real']:.2f} against D(G(z)) {last['d_fake']:.2f} at the end), and d_loss stays "
        f"below ln 2 (at most {max(e['d_loss'] for e in epochs):.3f})"
        if steady
        else f"the mean D(x) minus the mean D(G(z)) ranges from {min(gaps):.3f} to {max(gaps):.3f} over the epochs "
        f"(D(x) {last['d_real']:.2f} against D(G(z)) {last['d_fake']:.2f} at the end), and d_loss is below ln 2 "
        f"in {below} of {len(epochs)} epochs"
    )
    return f"{name}: {span}, {verdict}; {edge}."


def _pair(switch: str) -> str:
    return switch.replace("->", " -> ")


def switch_excess(rows: list[dict], watch: tuple[str, ...] = ("0->8", "8->0"), unit: str = "switches") -> str:
    """The switches over-represented against chance (:func:`dcgan_lessons.analysis.transition_excess`),
    and where the ``watch`` switches stand; ``unit`` names what the matrix counted ("switches", or "z"
    when each z counts once per pair)."""
    if not rows:
        return "No z switched digit, so no switch can be over-represented."
    strong = over_represented(rows)
    named = ", ".join(
        f"{r['switch']} ({r['ratio']:.1f}x, {r['observed']} against {r['expected']:.1f})" for r in strong[:6]
    )
    lines = [
        f"{len(strong)} of the {len(rows)} possible switches happen significantly more often than chance (Holm-"
        f"adjusted p < 0.05 over the {len(rows)} pairs)" + (f"; the strongest: {named}." if strong else ".")
    ]
    by_name = {r["switch"]: r for r in rows}
    for key in watch:
        r = by_name.get(key)
        if r is None:
            continue
        rank = rows.index(r) + 1
        verdict = "significantly over-represented" if r in strong else "not significant"
        lines.append(
            f"{key}: {r['observed']} {unit} against {r['expected']:.1f} expected, {r['ratio']:.2f}x chance "
            f"(rank {rank} of {len(rows)}, p = {r['p']:.2g}, Holm-adjusted {r['p_holm']:.2g}): {verdict}."
        )
    return " ".join(lines)


def is_special(rows: list[dict], watch: tuple[str, ...] = ("0->8", "8->0")) -> str:
    """The answer to "is the ``watch`` switch special?" on :func:`dcgan_lessons.analysis.transition_excess`
    rows: above chance or not, significant after Holm's correction or not, and how many pairs beat it."""
    by_name = {r["switch"]: r for r in rows}
    watched = [by_name[k] for k in watch if k in by_name]
    if not watched:
        return f"No {' or '.join(_pair(k) for k in watch)} switch could happen here: nothing to compare."
    strong = over_represented(rows)
    above = [r for r in watched if r["ratio"] > 1]
    significant = [r for r in watched if r in strong]

    def subject(group: list[dict]) -> str:
        if group == watched:
            return "both" if len(watched) > 1 else "it"
        return " and ".join(_pair(r["switch"]) for r in group)

    def verb(group: list[dict]) -> str:
        return "happen" if len(group) > 1 else "happens"

    holm = f"after Holm's correction for the {len(rows)} pairs tested"
    if not above:
        lean = f"{subject(watched)} {verb(watched)} no more often than chance"
    elif significant == above:
        lean = f"{subject(above)} {verb(above)} significantly more often than chance, {holm}"
    else:
        lean = f"{subject(above)} {verb(above)} more often than chance, " + (
            f"but only {subject(significant)} significantly so {holm}"
            if significant
            else f"but not significantly once the {len(rows)} pairs tested are allowed for (Holm-adjusted p "
            f"{min(r['p_holm'] for r in above):.2g} at best)"
        )
    names = " and ".join(f"{_pair(r['switch'])} ({r['ratio']:.1f}x chance)" for r in watched)
    best = max(r["ratio"] for r in watched)
    ahead = [r for r in rows if r["ratio"] > best]
    place = f"{len(ahead)} of the {len(rows)} pairs are" if ahead else "no pair is"
    shown = ", ".join(f"{_pair(r['switch'])} ({r['ratio']:.1f}x)" for r in strong[:8])
    if not strong:
        tail = "; no pair is significant"
    elif len(strong) == 1:
        tail = f"; the only significant pair: {shown}"
    else:
        tail = f"; the {len(strong)} significant pairs: {shown}" + (
            f" and {len(strong) - 8} more" if len(strong) > 8 else ""
        )
    return f"{names}: {lean}. {'Not the strongest' if ahead else 'The strongest'}: {place} further above chance{tail}."


def permutation_check(rows: list[dict], permuted: dict, rounds: int, watch: tuple[str, ...] = ("0->8", "8->0")) -> str:
    """What a permutation test (:func:`dcgan_lessons.stats.permutation_excess`, ``rounds`` shuffles) says
    beside the Poisson chance model's ``rows`` on the same matrix: its significant pairs, the ``watch``
    switches' p-values, and whether the two tests name the same significant pairs."""
    if not permuted:
        return "Too few cases to shuffle: no permutation test."
    by_model = {r["switch"] for r in over_represented(rows)}
    by_shuffle = {key for key, r in permuted.items() if r["significant"]}
    cases = sum(r["observed"] for r in rows)
    watched = ", ".join(
        f"{_pair(key)} p = {permuted[key]['p']:.2g} (Holm-adjusted {permuted[key]['p_holm']:.2g})"
        for key in watch
        if key in permuted
    )
    if by_shuffle == by_model:
        agree = "the same significant pairs as the chance model above"
    else:
        only = lambda pairs: ", ".join(sorted(_pair(key) for key in pairs)) or "none"  # noqa: E731
        agree = (
            f"not the chance model's significant pairs: only by permutation {only(by_shuffle - by_model)}, only by "
            f"the chance model {only(by_model - by_shuffle)}"
        )
    floor = len(permuted) / (rounds + 1)
    if floor >= 0.05:
        agree += (
            f" ({rounds:,} rounds are too few for any pair to pass: the smallest p they can give, 1/{rounds + 1:,}, "
            f"times {len(permuted)} is {floor:.2g})"
        )
    return (
        f"A permutation test that keeps every row and column total (the targets of the {cases} cases shuffled among "
        f"them, never onto their own digit, {rounds:,} rounds) finds {len(by_shuffle)} pairs significant after Holm's "
        f"correction: {agree}; {watched}."
    )


def excess_table(rows: list[dict], watch: tuple[str, ...] = ("0->8", "8->0")) -> str:
    """A Markdown table of :func:`dcgan_lessons.analysis.excess_by_subset`: per subset of switches, the
    ``watch`` switches' ratio to chance, Holm-adjusted p and rank, and the strongest pair."""
    head = "| from | judge sure (p ≥) | cases (z per pair) | significant pairs | strongest | " + " | ".join(
        f"{_pair(k)}: z / expected, ratio, Holm p, rank" for k in watch
    )
    lines = [head + " |", "|" + "---|" * (5 + len(watch))]
    for row in rows:
        top = row["strongest"]
        cells = [
            row["start"] + f" (step {row['step']:,})",
            f"{row['threshold']:g}",
            str(row["cases"]),
            f"{row['significant']} of {row['pairs']}",
            "n/a" if top is None else f"{_pair(top['switch'])} {top['ratio']:.1f}x",
        ]
        for key in watch:
            r = row["watch"].get(key)
            cells.append(
                "n/a"
                if r is None
                else f"{r['observed']} / {r['expected']:.1f}, {r['ratio']:.2f}x, {r['p_holm']:.2g}, {r['rank']}"
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def excess_robustness(rows: list[dict], watch: str = "0->8") -> str:
    """Over every subset of :func:`dcgan_lessons.analysis.excess_by_subset`, the range of the ``watch``
    switch's ratio to chance and rank, and in how many subsets it is significant after Holm's correction."""
    found = [(row, row["watch"][watch]) for row in rows if watch in row["watch"]]
    if not found:
        return f"No {_pair(watch)} switch in any of the {len(rows)} subsets."
    ratios = [r["ratio"] for _, r in found]
    ranks = [r["rank"] for _, r in found]
    above = sum(ratio > 1 for ratio in ratios)
    significant = len(over_represented([r for _, r in found]))
    return (
        f"Over the {len(rows)} subsets, {_pair(watch)} is {span(ratios, '.2f')}x chance, above it in {above} of "
        f"{len(found)}, ranked {span(ranks, 'd')} of the pairs, and significant after Holm's correction in "
        f"{significant or 'none'}{'' if not significant else f' of {len(found)}'}."
    )


def picked_best(values: list[float], names: list[str], sd: float, higher_is_better: bool, what: str) -> str:
    """The best of several noisy ``values`` (one ``what``, e.g. "Frechet distance", each named in ``names``)
    against what luck alone gives: how far the best of that many draws with standard deviation ``sd`` lies
    beyond their mean on average (:func:`dcgan_lessons.stats.expected_extreme`)."""
    values = np.asarray(values, dtype=np.float64)
    sign = 1 if higher_is_better else -1
    best = int(np.argmax(sign * values))
    beyond, luck = sign * (values[best] - values.mean()), expected_extreme(len(values)) * sd
    word = "higher" if higher_is_better else "lower"
    reading = (
        "no more than luck alone gives (picking the best of many noisy numbers favours luck)"
        if beyond <= luck
        else f"more than luck alone gives, though about {luck:.2f} of it is luck all the same"
    )
    return (
        f"The best {what}, {names[best]}'s {values[best]:.2f}, is {beyond:.2f} {word} than the mean of the "
        f"{len(values)} values ({values.mean():.2f}); the best of {len(values)} draws with the standard deviation "
        f"of one ({sd:.2f}, fresh z) lies {luck:.2f} beyond their mean on average, so this best is {reading}."
    )


def more_epochs(rows: list[dict]) -> dict:
    """What more epochs did to each judged measure (:data:`MEASURES`): the last epoch against the best
    (:func:`dcgan_lessons.stats.later_worse`), the second half's trend (:func:`dcgan_lessons.stats.trend`), the
    names of the measures that got worse (either test) and of those that improved (the second half's gain beyond
    its noise, or its trend), and for each improved one why (``"why"``: a clause naming both tests' results)."""
    mid, last = rows[len(rows) // 2], rows[-1]
    tests = {measure: later_worse(rows, measure, higher) for measure, higher, _ in MEASURES}
    trends = {measure: trend(rows, measure) for measure, _, _ in MEASURES}
    worse = [
        name for measure, higher, name in MEASURES if tests[measure]["worse"] or direction(trends[measure], higher) < 0
    ]
    why = {}
    for measure, higher, name in MEASURES:
        gain, noise = improvement(mid, last, measure, higher)
        trending = direction(trends[measure], higher) > 0
        if name in worse or not (trending or gain > noise):
            continue
        versus = "exceeds" if gain > noise else "is within"
        gained = f"its gain, {gain:.2f}, {versus} twice the noise of a difference, {noise:.2f}"
        if trending:
            why[name] = f"its trend line excludes zero, {'and' if gain > noise else 'though'} {gained}"
        elif trends[measure]["low"] is None:
            why[name] = f"{gained}, though its second half has too few epochs for a trend interval"
        else:
            why[name] = f"{gained}, though its trend line does not exclude zero"
    return {"tests": tests, "trends": trends, "worse": worse, "helped": list(why), "why": why}


def quality_over_epochs(rows: list[dict]) -> str:
    """The report's "more epochs need not help", tested on a run's per-epoch judged numbers
    (:func:`dcgan_lessons.analysis.epoch_quality`): how the Frechet distance and classifier score moved,
    whether the last epoch is worse than the best by more than the measurement noise (the final generator's
    spread over fresh z), how much of the best is luck (:func:`picked_best`), and whether the second half of
    the run still trends either way (:func:`dcgan_lessons.stats.trend`)."""
    if len(rows) < 2:
        return "One judged epoch is not enough to say whether more epochs help."
    last = rows[-1]
    mid = rows[len(rows) // 2]
    lines = [
        f"Over {len(rows)} epochs the Frechet distance went {_from_to(rows, 'frechet', '.1f', with_epochs=True)}; "
        f"the classifier score {_from_to(rows, 'score', '.2f')}. "
        + (
            "At every epoch's end the judge found all ten digits."
            if all(r["modes"] == 10 for r in rows)
            else "At some epoch's end the judge missed a digit."
        )
    ]
    lines.append(
        f"Each is one draw of {last['n']} digits on the run's fixed z: on fresh z the final generator's Frechet "
        f"distance moves by {last['frechet_sd']:.2f} (standard deviation) from set to set of {last['n']}, its "
        f"classifier score by {last['score_sd']:.2f}. The run keeps no earlier generator, so that noise stands "
        "for every epoch below."
    )
    found = more_epochs(rows)
    half = rows[len(rows) // 2 :]
    for measure, higher, name in MEASURES:
        t = found["tests"][measure]
        if t["best"] is t["last"]:
            lines.append(f"The best {name} is the last epoch's ({t['last'][measure]:.2f}).")
        else:
            verdict = "worse by more than the noise" if t["worse"] else "within the noise of it"
            lines.append(
                f"The best {name} is epoch {t['best']['epoch']}'s ({t['best'][measure]:.2f}); the last epoch's "
                f"({t['last'][measure]:.2f}) is {verdict} (gap {t['gap']:.2f}; twice the noise of a difference of "
                f"two epochs, {t['noise']:.2f})."
            )
        if len(half) > 1 and any(r is t["best"] for r in half):
            names = [f"epoch {r['epoch']}" for r in half]
            what = f"{name} of epochs {half[0]['epoch']} to {half[-1]['epoch']}"
            lines.append(picked_best([r[measure] for r in half], names, t["best"][f"{measure}_sd"], higher, what))
        s = found["trends"][measure]
        if s["low"] is not None:
            lines.append(
                f"A straight line through epochs {s['first']} to {s['last']} moves it by {s['slope']:+.2f} per 10 "
                f"epochs (95% interval {s['low']:+.2f} to {s['high']:+.2f}): "
                + {1: "still improving", -1: "getting worse", 0: "no trend beyond the spread of the epochs"}[
                    direction(s, higher)
                ]
                + "."
            )
    worse, helped = found["worse"], found["helped"]
    if worse:
        verdict = f"So on this run more epochs made the {' and the '.join(worse)} worse, beyond the noise."
    elif mid is last:
        verdict = f"No measure got worse, but {len(rows)} epochs are too few to say whether the later ones helped."
    elif helped:
        verdict = (
            f"No measure got worse by more than its noise, and from epoch {mid['epoch']} to {last['epoch']} "
            + improvements(found)
            + ": here more epochs helped."
        )
    else:
        verdict = (
            f"No measure got worse by more than its noise, and none improved beyond it from epoch {mid['epoch']} to "
            f"{last['epoch']}: the extra epochs neither helped nor hurt."
        )
    return " ".join([*lines, verdict])


def _from_to(rows: list[dict], measure: str, spec: str, with_epochs: bool = False) -> str:
    """``measure`` at the first, the middle and the last epoch as "from A to B and C" (the middle left out
    when it is the last)."""
    picked = [rows[0], rows[len(rows) // 2], rows[-1]][: 2 if len(rows) == 2 else 3]
    said = [f"{r[measure]:{spec}}" + (f" (epoch {r['epoch']})" if with_epochs else "") for r in picked]
    return f"from {said[0]} to " + " and ".join(said[1:])


def improvements(found: dict) -> str:
    """The measures :func:`more_epochs` found improved, each with why: "the X improved (its trend ...)"."""
    return " and ".join(f"the {name} improved ({reason})" for name, reason in found["why"].items())


def span(values: list[float], spec: str = ".3f") -> str:
    """The range of ``values`` as a sentence says it: "0.204 to 0.671", or the one value when all agree."""
    low, high = min(values), max(values)
    return format(low, spec) if low == high else f"{low:{spec}} to {high:{spec}}"


def losses_against_quality(rows: list[dict]) -> str:
    """Do a run's epoch-mean losses rank its epochs as the judge's Frechet distance does? Rank correlations
    (rows of :func:`dcgan_lessons.analysis.epoch_quality`), beside the Frechet distance's with time itself:
    losses and quality can agree only because both drift with training time."""
    if len(rows) < 3:
        return "Fewer than three judged epochs: too few to rank."
    frechet = [r["frechet"] for r in rows]
    with_g = rank_correlation([r["g_loss"] for r in rows], frechet)
    with_d = rank_correlation([r["d_loss"] for r in rows], frechet)
    with_time = rank_correlation([r["epoch"] for r in rows], frechet)
    if max(abs(with_g), abs(with_d)) < 0.7:
        reading = "on this run the losses do not order the epochs as the judge does."
    else:
        time = (
            f"but so does the epoch number alone ({with_time:+.2f}), so the agreement may only mean that all three "
            "drift with training time"
            if abs(with_time) >= 0.7
            else "though the epoch number alone does not"
        )
        reading = f"on this run the losses order the epochs much as the judge does, {time}."
    return (
        f"Across the {len(rows)} epochs, the Frechet distance has a rank correlation of {with_g:+.2f} with the "
        f"epoch's mean g_loss and {with_d:+.2f} with its d_loss, and {with_time:+.2f} with the epoch number itself: "
        f"{reading} Nothing guarantees such agreement in another run: the losses score the game, the judge the digits."
    )


def formation(steps: np.ndarray, rates: np.ndarray, formed: int | None) -> str:
    """How the share of z that change digit between consecutive snapshots (``rates``, one per pair) moved
    while a run learned to draw, up to the snapshot where it ``formed`` its digits (an index, or None)."""
    end = len(rates) if formed is None else formed
    if end == 0:
        return f"The run had formed its digits at its first snapshot (step {steps[0]}): there is no formation to see."
    shown = ", ".join(f"{rate:.1%}" for rate in rates[:end])
    until = "to its last snapshot (it never formed all ten digits)" if formed is None else f"to step {steps[formed]}"
    if end == 1:
        shape = "one pair only"
    elif np.all(np.diff(rates[:end]) < 0):
        shape = "it fell at every snapshot"
    else:
        shape = f"it did not fall steadily (lowest {min(rates[:end]):.1%})"
    return (
        f"From the untrained generator (step {steps[0]}) {until}, the share of $z$ that changed digit between "
        f"consecutive snapshots was {shown}: {shape}."
    )


def early_switches(
    labels: np.ndarray, confidence: np.ndarray, formed: int | None, pair: tuple[int, int], threshold: float
) -> str:
    """How many ``pair`` switches (source, target) happened before a run formed its digits, and how many of
    them the judge was unsure of at one end (confidence below ``threshold``): scribbles or clear digits?"""
    source, target = pair
    end = len(labels) - 1 if formed is None else formed
    t, z = np.nonzero((labels[:end] == source) & (labels[1 : end + 1] == target))
    when = "In this run, which never formed its digits," if formed is None else "Before the run formed its digits,"
    if not len(t):
        return f"{when} no {source} -> {target} switch happened."
    unsure = np.minimum(confidence[t, z], confidence[t + 1, z]) < threshold
    return (
        f"{when} {len(t)} {source} -> {target} {'switch' if len(t) == 1 else 'switches'} happened; the judge was "
        f"unsure (p < {threshold}) of the {source} or of the {target} in {unsure.sum()} of {len(t)} "
        f"({unsure.mean():.0%})."
    )
