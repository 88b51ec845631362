"""Writes tests/data/svmlight_sklearn.txt with scikit-learn's dump_svmlight_file
(one-based indices, a query id per row, a comment header) and prints the arrays it
holds, for the svmlight reader's reference test:
    python tests/data/make_svmlight.py tests/data/svmlight_sklearn.txt
"""
import sys

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import dump_svmlight_file

X = np.array(
    [
        [0.0, 1.5, 0.0, -2.25, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0],
        [3.0, 0.0, 1e-300, 0.0, 7.125],
        [0.0, -0.1, 0.0, 0.0, 1e20],
    ]
)
y = np.array([1.0, -1.0, 0.5, 2.0])
qid = np.array([3, 3, 7, 7])
dump_svmlight_file(sp.csr_matrix(X), y, sys.argv[1], zero_based=False, query_id=qid, comment="four rows, five features")
print(X.tolist(), y.tolist(), qid.tolist())
