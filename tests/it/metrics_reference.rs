//! oxilearn::metrics against scikit-learn 1.9.1. Each block's Python snippet
//! (run in the venv of benches/peers/setup.sh) sits above the numbers it printed.

use oxilearn::metrics::{
    Average, accuracy_score, accuracy_score_weighted, confusion_matrix, f1_score, log_loss,
    mean_absolute_error, mean_absolute_error_weighted, mean_squared_error,
    mean_squared_error_weighted, precision_score, r2_score, r2_score_weighted, recall_score,
    roc_auc_score, roc_curve,
};
use oxilearn::ndarray::{Array1, array};

fn assert_close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * (1.0 + want.abs()),
        "{what}: got {got}, scikit-learn {want}"
    );
}

// import numpy as np
// from sklearn import metrics as M
// rng = np.random.RandomState(0)
// yt = np.round(rng.normal(size=12), 3); yp = np.round(yt + rng.normal(scale=0.5, size=12), 3)
// w = np.round(rng.uniform(0.1, 2.0, size=12), 2)
// print(yt.tolist(), yp.tolist(), w.tolist())
// print(M.r2_score(yt, yp), M.mean_squared_error(yt, yp), M.mean_absolute_error(yt, yp))
// print(M.r2_score(yt, yp, sample_weight=w), M.mean_squared_error(yt, yp, sample_weight=w),
//       M.mean_absolute_error(yt, yp, sample_weight=w))
// yt32 = yt.astype(np.float32); yp32 = yp.astype(np.float32)
// print(M.r2_score(yt32, yp32), M.mean_squared_error(yt32, yp32))
fn regression_data() -> (Array1<f64>, Array1<f64>, Array1<f64>) {
    (
        array![
            1.764, 0.4, 0.979, 2.241, 1.868, -0.977, 0.95, -0.151, -0.103, 0.411, 0.144, 1.454
        ],
        array![
            2.145, 0.461, 1.201, 2.408, 2.615, -1.08, 1.107, -0.578, -1.379, 0.738, 0.576, 1.083
        ],
        array![
            0.97, 1.18, 0.14, 1.27, 1.26, 1.27, 1.89, 1.4, 0.78, 0.93, 1.43, 0.21
        ],
    )
}

#[test]
fn regression_metrics_f64() {
    let (yt, yp, w) = regression_data();
    let (t, p) = (yt.view(), yp.view());
    assert_close(r2_score(t, p).unwrap(), 0.7003646500972902, 1e-13, "r2");
    assert_close(
        mean_squared_error(t, p).unwrap(),
        0.2550850833333334,
        1e-13,
        "mse",
    );
    assert_close(
        mean_absolute_error(t, p).unwrap(),
        0.3892500000000001,
        1e-13,
        "mae",
    );
    assert_close(
        r2_score_weighted(t, p, w.view()).unwrap(),
        0.7565071010691561,
        1e-13,
        "r2 w",
    );
    assert_close(
        mean_squared_error_weighted(t, p, w.view()).unwrap(),
        0.22554013354281224,
        1e-13,
        "mse w",
    );
    assert_close(
        mean_absolute_error_weighted(t, p, w.view()).unwrap(),
        0.3649913589945012,
        1e-13,
        "mae w",
    );
}

#[test]
fn regression_metrics_f32() {
    let (yt, yp, _) = regression_data();
    let (t, p) = (yt.mapv(|v| v as f32), yp.mapv(|v| v as f32));
    // scikit-learn accumulates float32 input in float32; we accumulate in f64.
    assert_close(
        r2_score(t.view(), p.view()).unwrap(),
        0.7003647089004517,
        1e-6,
        "r2 f32",
    );
    assert_close(
        mean_squared_error(t.view(), p.view()).unwrap(),
        0.2550850808620453,
        1e-6,
        "mse f32",
    );
}

// yt = ["cat","dog","bird","dog","cat","cat","bird","dog","fish","cat","dog","bird"]
// yp = ["cat","dog","dog","dog","cat","bird","bird","cat","cat","cat","dog","fish"]
// for f in ["precision_score", "recall_score", "f1_score"]:
//     print(f, [getattr(M, f)(yt, yp, average=a, zero_division=0) for a in ["macro", "weighted", "micro"]])
// print(M.accuracy_score(yt, yp), M.confusion_matrix(yt, yp).tolist())
#[test]
fn multiclass_string_labels() {
    let yt = array![
        "cat", "dog", "bird", "dog", "cat", "cat", "bird", "dog", "fish", "cat", "dog", "bird"
    ];
    let yp = array![
        "cat", "dog", "dog", "dog", "cat", "bird", "bird", "cat", "cat", "cat", "dog", "fish"
    ];
    let (t, p) = (yt.view(), yp.view());
    let want = [
        (
            "precision",
            [0.4625, 0.5750000000000001, 0.5833333333333334],
        ),
        (
            "recall",
            [0.4583333333333333, 0.5833333333333334, 0.5833333333333334],
        ),
        (
            "f1",
            [0.45416666666666666, 0.5722222222222223, 0.5833333333333334],
        ),
    ];
    for (name, w) in want {
        let f = match name {
            "precision" => precision_score,
            "recall" => recall_score,
            _ => f1_score,
        };
        for (avg, want) in [Average::Macro, Average::Weighted, Average::Micro]
            .into_iter()
            .zip(w)
        {
            let what = format!("{name} {avg:?}");
            assert_close(f(t, p, avg).unwrap(), want, 1e-14, &what);
        }
    }
    assert_close(
        accuracy_score(t, p).unwrap(),
        0.5833333333333334,
        1e-15,
        "accuracy",
    );
    let (cm, labels) = confusion_matrix(t, p).unwrap();
    assert_eq!(labels, vec!["bird", "cat", "dog", "fish"]);
    assert_eq!(
        cm,
        array![[1, 0, 1, 1], [1, 3, 0, 0], [0, 1, 3, 0], [0, 1, 0, 0]]
    );
}

// ct = [2, 2, 2, 0, 2, 1, 0, 1, 2, 0, 0, 2, 0, 0, 0]
// cp = [0, 0, 0, 2, 3, 0, 3, 2, 3, 3, 1, 1, 1, 0, 1]   # label 3 is only predicted
// w = [0.5, 1.2, 0.3, 2.0, 1.0, 0.7, 1.1, 0.9, 0.4, 1.5, 0.8, 0.6, 1.3, 1.9, 0.2]
// print(M.accuracy_score(ct, cp), M.accuracy_score(ct, cp, sample_weight=w))
// for f in ["precision_score", "recall_score", "f1_score"]:
//     print(f, [getattr(M, f)(ct, cp, average=a, zero_division=0) for a in ["macro", "weighted", "micro"]])
// print(M.confusion_matrix(ct, cp).tolist())
#[test]
fn multiclass_with_a_label_only_predicted() {
    let ct = array![2usize, 2, 2, 0, 2, 1, 0, 1, 2, 0, 0, 2, 0, 0, 0];
    let cp = array![0usize, 0, 0, 2, 3, 0, 3, 2, 3, 3, 1, 1, 1, 0, 1];
    let (t, p) = (ct.view(), cp.view());
    assert_close(
        accuracy_score(t, p).unwrap(),
        0.06666666666666667,
        1e-15,
        "accuracy",
    );
    let w = array![
        0.5, 1.2, 0.3, 2.0, 1.0, 0.7, 1.1, 0.9, 0.4, 1.5, 0.8, 0.6, 1.3, 1.9, 0.2
    ];
    assert_close(
        accuracy_score_weighted(t, p, w.view()).unwrap(),
        0.13194444444444445,
        1e-14,
        "accuracy w",
    );
    let cases = [
        (
            precision_score as fn(_, _, _) -> _,
            [0.05, 0.09333333333333334, 0.06666666666666667],
        ),
        (
            recall_score,
            [
                0.03571428571428571,
                0.06666666666666667,
                0.06666666666666667,
            ],
        ),
        (
            f1_score,
            [
                0.041666666666666664,
                0.07777777777777777,
                0.06666666666666667,
            ],
        ),
    ];
    for (f, want) in cases {
        for (avg, want) in [Average::Macro, Average::Weighted, Average::Micro]
            .into_iter()
            .zip(want)
        {
            let what = format!("{avg:?}");
            assert_close(f(t, p, avg).unwrap(), want, 1e-14, &what);
        }
    }
    let (cm, labels) = confusion_matrix(t, p).unwrap();
    assert_eq!(labels, vec![0, 1, 2, 3]);
    assert_eq!(
        cm,
        array![[1, 3, 1, 2], [1, 0, 1, 0], [3, 1, 0, 2], [0, 0, 0, 0]]
    );
}

// bt = [1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1]
// bp = [0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0]
// for f in ["precision_score", "recall_score", "f1_score"]:
//     print(f, getattr(M, f)(bt, bp), getattr(M, f)(bt, bp, pos_label=0))
// yb = [True, False, True]; pb = [True, True, True]
// print(M.precision_score(yb, pb), M.recall_score(yb, pb), M.f1_score(yb, pb))
#[test]
fn binary_scores() {
    let bt = array![1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1];
    let bp = array![0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0];
    let (t, p) = (bt.view(), bp.view());
    let pos = |l| Average::Binary { pos_label: l };
    assert_close(
        precision_score(t, p, pos(1)).unwrap(),
        0.4,
        1e-15,
        "precision pos 1",
    );
    assert_close(
        precision_score(t, p, pos(0)).unwrap(),
        0.45454545454545453,
        1e-15,
        "precision pos 0",
    );
    assert_close(
        recall_score(t, p, pos(1)).unwrap(),
        0.25,
        1e-15,
        "recall pos 1",
    );
    assert_close(
        recall_score(t, p, pos(0)).unwrap(),
        0.625,
        1e-15,
        "recall pos 0",
    );
    assert_close(
        f1_score(t, p, pos(1)).unwrap(),
        0.3076923076923077,
        1e-15,
        "f1 pos 1",
    );
    assert_close(
        f1_score(t, p, pos(0)).unwrap(),
        0.5263157894736842,
        1e-15,
        "f1 pos 0",
    );
    let (yb, pb) = (array![true, false, true], array![true, true, true]);
    let t = Average::Binary { pos_label: true };
    assert_close(
        precision_score(yb.view(), pb.view(), t.clone()).unwrap(),
        0.6666666666666666,
        1e-15,
        "bool precision",
    );
    assert_close(
        recall_score(yb.view(), pb.view(), t.clone()).unwrap(),
        1.0,
        1e-15,
        "bool recall",
    );
    assert_close(
        f1_score(yb.view(), pb.view(), t).unwrap(),
        0.8,
        1e-15,
        "bool f1",
    );
}

// y = [0, 2, 1, 2, 0, 1]
// P = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3], [0.0, 0.0, 1.0],
//               [1.0, 0.0, 0.0], [0.25, 0.25, 0.5]])
// print(M.log_loss(y, P), M.log_loss(y, P.astype(np.float32)))
// Q = np.array([[0.0, 0.5, 0.5], [0.2, 0.0, 0.8]])
// print(M.log_loss([2, 2], Q, labels=[0, 1, 2]), M.log_loss([1, 2], Q, labels=[0, 1, 2]))
// Z = np.array([[0.0, 1.0], [0.0, 1.0]])   # true class at probability 0: clipped to eps of the dtype
// print(M.log_loss([0, 1], Z), M.log_loss([0, 1], Z.astype(np.float32)))
#[test]
fn log_loss_reference() {
    let y = array![0, 2, 1, 2, 0, 1];
    let p = array![
        [0.7, 0.2, 0.1],
        [0.1, 0.1, 0.8],
        [0.3, 0.4, 0.3],
        [0.0, 0.0, 1.0],
        [1.0, 0.0, 0.0],
        [0.25, 0.25, 0.5]
    ];
    assert_close(
        log_loss(y.view(), p.view(), None).unwrap(),
        0.4804005980411647,
        1e-14,
        "log loss",
    );
    let p32 = p.mapv(|v| v as f32);
    assert_close(
        log_loss(y.view(), p32.view(), None).unwrap(),
        0.4804006516933441,
        1e-6,
        "log loss f32",
    );
    let q = array![[0.0, 0.5, 0.5], [0.2, 0.0, 0.8]];
    let labels = [0, 1, 2];
    assert_close(
        log_loss(array![2, 2].view(), q.view(), Some(&labels)).unwrap(),
        0.4581453659370775,
        1e-14,
        "labels",
    );
    assert_close(
        log_loss(array![1, 2].view(), q.view(), Some(&labels)).unwrap(),
        0.4581453659370775,
        1e-14,
        "labels 2",
    );
    let z = array![[0.0, 1.0], [0.0, 1.0]];
    assert_close(
        log_loss(array![0, 1].view(), z.view(), None).unwrap(),
        18.021826694558577,
        1e-13,
        "clip f64",
    );
    let z32 = z.mapv(|v| v as f32);
    assert_close(
        log_loss(array![0, 1].view(), z32.view(), None).unwrap(),
        7.971192359924316,
        1e-6,
        "clip f32",
    );
}

// yb = [1, -1, 1, 1, -1, -1, 1, -1, -1, 1]
// s = [0.9, 0.4, 0.4, 0.8, 0.1, 0.4, 0.35, 0.8, 0.2, 0.6]      # ties across classes
// print(M.roc_auc_score(yb, s), M.roc_auc_score(yb, np.array(s, dtype=np.float32)))
// ys = ["pos", "neg", "neg", "pos", "neg"]                     # positive = larger label "pos"
// print(M.roc_auc_score(ys, [2.0, -1.0, 0.5, 0.5, 3.0]))
#[test]
fn roc_auc_reference() {
    let yb = array![1, -1, 1, 1, -1, -1, 1, -1, -1, 1];
    let s = array![0.9, 0.4, 0.4, 0.8, 0.1, 0.4, 0.35, 0.8, 0.2, 0.6];
    assert_close(
        roc_auc_score(yb.view(), s.view()).unwrap(),
        0.74,
        1e-15,
        "auc",
    );
    let s32 = s.mapv(|v| v as f32);
    assert_close(
        roc_auc_score(yb.view(), s32.view()).unwrap(),
        0.74,
        1e-15,
        "auc f32",
    );
    let ys = array!["pos", "neg", "neg", "pos", "neg"];
    let sc = array![2.0, -1.0, 0.5, 0.5, 3.0];
    assert_close(
        roc_auc_score(ys.view(), sc.view()).unwrap(),
        0.5833333333333334,
        1e-15,
        "auc strings",
    );
}

// from sklearn.metrics import classification_report
// y_true = ["cat", "dog", "dog", "bird", "fish", "cat", "dog", "bird"]
// y_pred = ["cat", "dog", "cat", "bird", "dog", "cat", "bird", "emu"]
// print(repr(classification_report(y_true, y_pred)))
// print(repr(classification_report(y_true, y_pred, digits=4)))
// print(repr(classification_report([0, 1, 2, 2, 2], [0, 0, 2, 2, 1])))
// d = classification_report(y_true, y_pred, output_dict=True)
// print(d["dog"], d["macro avg"], d["weighted avg"], d["accuracy"])
#[test]
fn classification_report_reference() {
    use oxilearn::metrics::classification_report;
    let y_true = array!["cat", "dog", "dog", "bird", "fish", "cat", "dog", "bird"];
    let y_pred = array!["cat", "dog", "cat", "bird", "dog", "cat", "bird", "emu"];
    let report = classification_report(y_true.view(), y_pred.view()).unwrap();
    assert_eq!(
        report.to_string(),
        "              precision    recall  f1-score   support\n\n        bird       0.50      0.50      0.50         2\n         cat       0.67      1.00      0.80         2\n         dog       0.50      0.33      0.40         3\n         emu       0.00      0.00      0.00         0\n        fish       0.00      0.00      0.00         1\n\n    accuracy                           0.50         8\n   macro avg       0.33      0.37      0.34         8\nweighted avg       0.48      0.50      0.48         8\n"
    );
    assert_eq!(
        report.text(4),
        "              precision    recall  f1-score   support\n\n        bird     0.5000    0.5000    0.5000         2\n         cat     0.6667    1.0000    0.8000         2\n         dog     0.5000    0.3333    0.4000         3\n         emu     0.0000    0.0000    0.0000         0\n        fish     0.0000    0.0000    0.0000         1\n\n    accuracy                         0.5000         8\n   macro avg     0.3333    0.3667    0.3400         8\nweighted avg     0.4792    0.5000    0.4750         8\n"
    );
    let dog = report.row(&"dog").unwrap();
    assert_close(dog.precision, 0.5, 1e-15, "dog precision");
    assert_close(dog.recall, 0.3333333333333333, 1e-15, "dog recall");
    assert_close(dog.f1, 0.4, 1e-15, "dog f1");
    assert_eq!(dog.support, 3);
    let m = report.macro_avg();
    assert_close(m.precision, 0.3333333333333333, 1e-15, "macro precision");
    assert_close(m.recall, 0.36666666666666664, 1e-15, "macro recall");
    assert_close(m.f1, 0.34, 1e-15, "macro f1");
    let w = report.weighted_avg();
    assert_close(
        w.precision,
        0.47916666666666663,
        1e-15,
        "weighted precision",
    );
    assert_close(w.recall, 0.5, 1e-15, "weighted recall");
    assert_close(w.f1, 0.47500000000000003, 1e-15, "weighted f1");
    assert_eq!((m.support, w.support), (8, 8));
    assert_eq!(report.accuracy(), 0.5);

    let ints =
        classification_report(array![0, 1, 2, 2, 2].view(), array![0, 0, 2, 2, 1].view()).unwrap();
    assert_eq!(
        ints.to_string(),
        "              precision    recall  f1-score   support\n\n           0       0.50      1.00      0.67         1\n           1       0.00      0.00      0.00         1\n           2       1.00      0.67      0.80         3\n\n    accuracy                           0.60         5\n   macro avg       0.50      0.56      0.49         5\nweighted avg       0.70      0.60      0.61         5\n"
    );
    assert!(matches!(
        classification_report(array![1, 2].view(), array![1].view()),
        Err(oxilearn::Error::ShapeMismatch { .. })
    ));
}

/// ```python
/// import numpy as np
/// from sklearn.metrics import roc_curve
/// i = np.arange(60)
/// y = np.where((i * 7) % 3 == 0, "yes", "no")
/// s = ((i * 37) % 17) / 17.0
/// f, t, th = roc_curve(y, s, pos_label="yes")
/// print(f.tolist()); print(t.tolist()); print(th.tolist())
/// ```
#[test]
fn metrics_roc_curve_matches_sklearn() {
    let y: Array1<&str> = (0..60)
        .map(|i| if (i * 7) % 3 == 0 { "yes" } else { "no" })
        .collect();
    let s: Array1<f64> = (0..60).map(|i| ((i * 37) % 17) as f64 / 17.0).collect();
    let roc = roc_curve(y.view(), s.view()).unwrap();
    let fpr = [
        0.0, 0.05, 0.125, 0.225, 0.3, 0.4, 0.45, 0.5, 0.65, 0.7, 0.85, 0.9, 1.0,
    ];
    let tpr = [
        0.0, 0.05, 0.1, 0.2, 0.25, 0.35, 0.45, 0.5, 0.6, 0.65, 0.75, 0.8, 1.0,
    ];
    let thresholds = [
        f64::INFINITY,
        0.9411764705882353,
        0.8823529411764706,
        0.7647058823529411,
        0.7058823529411765,
        0.5882352941176471,
        0.5294117647058824,
        0.47058823529411764,
        0.35294117647058826,
        0.29411764705882354,
        0.17647058823529413,
        0.11764705882352941,
        0.0,
    ];
    assert_eq!(roc.fpr.len(), fpr.len());
    for (g, w) in roc.fpr.iter().zip(fpr).chain(roc.tpr.iter().zip(tpr)) {
        assert!((g - w).abs() < 1e-15, "{g} vs {w}");
    }
    assert_eq!(roc.thresholds, thresholds);
    // roc_auc_score(y == "yes", s) = 0.45999999999999996
    assert!((roc.auc() - 0.46).abs() < 1e-12);
    assert!((roc.auc() - roc_auc_score(y.view(), s.view()).unwrap()).abs() < 1e-12);
    assert!(matches!(
        roc_curve(array![1, 1].view(), array![0.5, 0.2].view()),
        Err(oxilearn::Error::SingleClass)
    ));
}
