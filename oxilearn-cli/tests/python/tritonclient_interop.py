"""The official Triton Python client against `oxilearn serve`, unchanged.

    python tritonclient_interop.py path/to/oxilearn

Fits three models with `oxilearn fit` on generated data (a logistic
regression with integer labels, an SVC with probabilities and string labels,
a ridge regression), writes them into a model repository, starts
`oxilearn serve` on a free loopback port and drives it with
`tritonclient.http.InferenceServerClient`: liveness, readiness, model
metadata (every input and output declared, -1 for the batch), and `infer`
with JSON tensors (`binary_data=False`) and with Triton's binary tensor data
extension (the client's default). Every inference result must equal what
`oxilearn predict` writes for the same rows. Errors must come back as the
client's `InferenceServerException` with the protocol's status. SIGTERM must
stop the server with exit status 0.

Bounded: every wait has a timeout; the server is killed if anything fails.
"""

import csv
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

N_TRAIN, N_TEST, N_FEATURES = 150, 23, 4
NAMES = ["setosa", "versicolor", "virginica"]


def run(cmd):
    """Runs an `oxilearn` command; its output is shown on failure."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p.stdout


def write_csv(path, x, y, target="label"):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"f{j}" for j in range(x.shape[1])] + [target])
        for row, t in zip(x, y):
            w.writerow([repr(float(v)) for v in row] + [t])


def read_predictions(path):
    """`oxilearn predict` CSV → {column: list of str}."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return {name: [r[j] for r in rows[1:]] for j, name in enumerate(rows[0])}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    exe = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="oxilearn-tritonclient-")
    rng = np.random.default_rng(7)
    centres = rng.normal(scale=3.0, size=(3, N_FEATURES))
    cls = rng.integers(0, 3, size=N_TRAIN + N_TEST)
    x = centres[cls] + rng.normal(size=(N_TRAIN + N_TEST, N_FEATURES))
    reg = x @ np.array([1.5, -2.0, 0.5, 3.0]) + 0.1 * rng.normal(size=len(x))
    xtr, xte = x[:N_TRAIN], x[N_TRAIN:]

    train = {
        "ints": os.path.join(work, "ints.csv"),
        "names": os.path.join(work, "names.csv"),
        "reg": os.path.join(work, "reg.csv"),
    }
    write_csv(train["ints"], xtr, cls[:N_TRAIN])
    write_csv(train["names"], xtr, [NAMES[c] for c in cls[:N_TRAIN]])
    write_csv(train["reg"], xtr, reg[:N_TRAIN], target="y")
    test_csv = os.path.join(work, "test.csv")
    write_csv(test_csv, xte, cls[N_TRAIN:])

    repo = os.path.join(work, "models")
    models = {  # name: (fit arguments, predict flags, outputs)
        "logistic": (["logistic", "-d", train["ints"]], ["--proba"], ["predict", "predict_proba"]),
        "svc": (
            ["svc", "-d", train["names"], "--set", "probability=true", "--set", "random_state=0"],
            ["--proba"],
            ["predict", "predict_proba"],
        ),
        "ridge": (["ridge", "-d", train["reg"], "-t", "y"], [], ["predict"]),
    }
    expected = {}
    for name, (fit, flags, _) in models.items():
        out = os.path.join(repo, name, "1", "model.safetensors")
        run([exe, "fit", *fit, "--quiet", "-o", out])
        pred = os.path.join(work, f"{name}.pred.csv")
        run([exe, "predict", "-m", out, "-d", test_csv, "-t", "label", *flags, "-o", pred])
        expected[name] = read_predictions(pred)

    port = free_port()
    log = open(os.path.join(work, "serve.log"), "w")
    server = subprocess.Popen(
        [exe, "serve", "--models", repo, "--port", str(port), "--threads", "2", "--http-threads", "2"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        check(f"127.0.0.1:{port}", models, expected, xte)
        server.send_signal(signal.SIGTERM)
        rc = server.wait(timeout=30)
        assert rc == 0, f"oxilearn serve exited with {rc} after SIGTERM"
    except BaseException:
        server.kill()
        server.wait(timeout=10)
        log.flush()
        print(open(log.name).read(), file=sys.stderr)
        raise
    print("tritonclient interop: ok")


def check(url, models, expected, xte):
    client = httpclient.InferenceServerClient(url=url, network_timeout=30.0)
    deadline = time.monotonic() + 30
    while True:
        try:
            if client.is_server_live() and client.is_server_ready():
                break
        except Exception:  # connection refused while the server starts
            pass
        if time.monotonic() > deadline:
            sys.exit("the server did not become ready within 30 s")
        time.sleep(0.1)
    assert client.get_server_metadata()["name"]

    for name, (_, _, outputs) in models.items():
        assert client.is_model_ready(name), name
        assert client.is_model_ready(name, model_version="1"), name
        meta = client.get_model_metadata(name)
        assert meta["name"] == name and "1" in meta["versions"], meta
        assert meta["inputs"] == [{"name": "input", "datatype": "FP64", "shape": [-1, N_FEATURES]}], meta
        declared = {o["name"]: o for o in meta["outputs"]}
        for o in outputs:
            assert o in declared and declared[o]["shape"][0] == -1, (o, meta)
        assert client.get_model_metadata(name, model_version="1") == meta

        for binary in (False, True):
            for dtype in ("FP64", "FP32"):
                x = xte.astype(np.float64 if dtype == "FP64" else np.float32)
                inp = httpclient.InferInput("input", list(x.shape), dtype)
                inp.set_data_from_numpy(x, binary_data=binary)
                req = [httpclient.InferRequestedOutput(o, binary_data=binary) for o in outputs]
                res = client.infer(name, inputs=[inp], outputs=req)
                if dtype == "FP64":
                    compare(name, res, expected[name], outputs, binary)
                else:  # single precision in, same model: labels of the rounded rows
                    assert res.as_numpy("predict").shape == (len(x),)
            # the default output when none is requested
            inp = httpclient.InferInput("input", list(xte.shape), "FP64")
            inp.set_data_from_numpy(xte, binary_data=binary)
            res = client.infer(name, inputs=[inp], model_version="1")
            assert res.as_numpy("predict") is not None, res.get_response()

    # errors reach the client as InferenceServerException with the status
    inp = httpclient.InferInput("input", [2, N_FEATURES + 1], "FP64")
    inp.set_data_from_numpy(np.zeros((2, N_FEATURES + 1)))
    expect_error(lambda: client.infer("logistic", inputs=[inp]), "422")
    inp = httpclient.InferInput("input", [1, N_FEATURES], "FP64")
    inp.set_data_from_numpy(np.zeros((1, N_FEATURES)))
    expect_error(lambda: client.infer("no-such-model", inputs=[inp]), "404")
    expect_error(lambda: client.infer("logistic", inputs=[inp], model_version="9"), "404")
    bad = np.array([[np.nan, 0.0, 0.0, 0.0]])
    inp.set_data_from_numpy(bad)
    expect_error(lambda: client.infer("logistic", inputs=[inp]), "422")
    assert not client.is_model_ready("no-such-model")


def compare(name, res, expected, outputs, binary):
    pred = res.as_numpy("predict")
    got_labels = [p.decode() if isinstance(p, bytes) else p for p in pred.tolist()]
    want = expected["prediction"]
    if name == "ridge":
        np.testing.assert_allclose(np.array(got_labels), np.array(want, dtype=float), rtol=1e-12)
    elif name == "svc":
        assert got_labels == want, (name, binary, got_labels, want)
    else:
        assert got_labels == [int(w) for w in want], (name, binary, got_labels, want)
    if "predict_proba" in outputs:
        proba = res.as_numpy("predict_proba")
        cols = [c for c in expected if c.startswith("proba_")]
        want = np.array([[float(v) for v in expected[c]] for c in cols]).T
        assert proba.shape == want.shape, (proba.shape, want.shape)
        np.testing.assert_allclose(proba, want, rtol=1e-12, atol=0)


def expect_error(call, status):
    try:
        call()
    except InferenceServerException as e:
        assert e.status() == status, (status, e.status(), str(e))
        return
    raise AssertionError(f"expected an error with status {status}")


if __name__ == "__main__":
    main()
