"""Successive halving schedules of scikit-learn 1.9.1 for tests/data/halving_schedule.txt.

Run: python tests/data/make_halving_schedule.py > tests/data/halving_schedule.txt
DummyRegressor with KFold(5): scikit-learn's 'smallest' is 2 * 5 = 10 samples.
min_resources_ is printed as an integer (with a float factor scikit-learn keeps
it as an integral float such as 70.0).
"""
import numpy as np
from sklearn.experimental import enable_halving_search_cv  # noqa
from sklearn.model_selection import HalvingGridSearchCV, KFold
from sklearn.dummy import DummyRegressor
rows = []
for n in [60, 442, 1000]:
    for nc in [1, 2, 5, 9, 16, 30, 100]:
        for factor in [2, 3, 2.5]:
            for mr in ["exhaust", "smallest", 20]:
                for agg in [False, True]:
                    for maxr in ["auto", 50]:
                        if maxr != "auto" and maxr > n: continue
                        X = np.zeros((n, 1)); y = np.arange(n, dtype=float)
                        s = HalvingGridSearchCV(DummyRegressor(), {"constant": list(range(nc))}, factor=factor,
                            min_resources=mr, max_resources=maxr, aggressive_elimination=agg, cv=KFold(5), refit=False)
                        try:
                            s.fit(X, y)
                        except ValueError as e:
                            rows.append(f"({n}, {nc}, {factor!r}, {mr!r}, {agg}, {maxr!r}) -> error")
                            continue
                        rows.append(f"({n}, {nc}, {factor}, {mr!r}, {str(agg).lower()}, {maxr!r}) -> {int(s.min_resources_)} {s.max_resources_} {s.n_required_iterations_} {s.n_possible_iterations_} {s.n_iterations_} {s.n_resources_} {s.n_candidates_} {s.n_remaining_candidates_}")
print("\n".join(rows))
