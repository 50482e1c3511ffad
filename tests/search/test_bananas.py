"""Tests of nasbench_lab/search/bananas.py: path encoding, MLP ensemble, BANANAS and NPENAS."""

from __future__ import annotations

import numpy as np

from nasbench_lab import space
from nasbench_lab.search.bananas import Bananas, MLPEnsemble, Npenas, path_encoding
from nasbench_lab.search.common import encode, onehot_table, run_on_table

_rng = np.random.default_rng(5)
OBJECTIVE = 80 + 2 * onehot_table() @ _rng.normal(size=30) + _rng.normal(0, 0.2, space.N_ARCHS)
OPS = space.ops_matrix(space.all_indices())


def index(ops: tuple[int, ...]) -> int:
    return space.Arch(ops).index


def test_path_encoding_counts_live_input_output_paths():
    conv = index((3, 3, 3, 3, 3, 3))
    assert path_encoding([conv]).sum() == 4  # 0-3, 0-1-3, 0-2-3, 0-1-2-3 all live
    only_direct = index((0, 0, 0, 2, 0, 0))
    enc = path_encoding([only_direct])[0]
    assert enc.sum() == 1 and enc[1] == 1  # path 0-3 carrying nor_conv_1x1 (op 2 -> live code 1)
    assert path_encoding([index((0,) * 6)]).sum() == 0
    assert path_encoding(space.all_indices()).shape == (space.N_ARCHS, 100)


def test_mlp_ensemble_learns_a_linear_target_and_reports_spread():
    rng = np.random.default_rng(0)
    train, held = rng.choice(space.N_ARCHS, 200, replace=False), rng.choice(space.N_ARCHS, 500, replace=False)
    ens = MLPEnsemble(np.random.default_rng(1), epochs=300).fit(encode(train), OBJECTIVE[train])
    mean, std = ens.predict_dist(encode(held))
    assert np.corrcoef(mean, OBJECTIVE[held])[0, 1] > 0.9
    assert (std > 0).all()


def test_bananas_beats_random_search_on_a_smooth_objective():
    finals = [OBJECTIVE[run_on_table(Bananas(np.random.default_rng(s), epochs=60), OBJECTIVE, 40)].max() for s in range(3)]
    assert np.mean(finals) >= np.quantile(OBJECTIVE, 0.995)  # random: the top 2.5% in expectation


def test_npenas_proposes_mutations_of_its_best_archs():
    npenas = Npenas(np.random.default_rng(0), epochs=40, population=5, batch_size=3)
    archs = run_on_table(npenas, OBJECTIVE, 10)
    best = np.array(archs)[np.argsort(-OBJECTIVE[archs])[:5]]
    nxt = run_on_table(npenas, OBJECTIVE, 3)
    for a in nxt:
        assert min(int((OPS[a] != OPS[b]).sum()) for b in best) == 1
    assert len(set(archs + nxt)) == 13


def test_bananas_can_score_every_unevaluated_arch():
    bananas = Bananas(np.random.default_rng(4), epochs=100, n_init=20, candidates="all", acquisition="mean", batch_size=3)
    archs = run_on_table(bananas, OBJECTIVE, 23)
    assert len(set(archs)) == 23
    # the ensemble mean over the whole space points at good archs after 20 random ones
    assert OBJECTIVE[archs[20:]].mean() > np.quantile(OBJECTIVE, 0.95)
