//! The scalers on bundled real data against scikit-learn 1.9.1 (snippet above
//! the numbers it printed; run in the venv of benches/peers/setup.sh).

use oxilearn::datasets;
use oxilearn::preprocessing::{MinMaxScaler, StandardScaler};

fn close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "{what}[{i}]: got {g}, scikit-learn {w}"
        );
    }
}

// from sklearn.datasets import load_iris
// from sklearn.preprocessing import StandardScaler, MinMaxScaler
// X = load_iris().data
// s = StandardScaler().fit(X); print(s.mean_.tolist(), s.scale_.tolist())
// Z = s.transform(X); print(Z[0].tolist(), Z[-1].tolist())
// m = MinMaxScaler().fit(X); print(m.data_min_.tolist(), m.data_max_.tolist(), m.transform(X)[0].tolist())
#[test]
fn iris_scalers_match_sklearn() {
    let x = datasets::iris().records;
    let s = StandardScaler::new().fit(x.view()).unwrap();
    close(
        s.mean().as_slice().unwrap(),
        &[
            5.843333333333335,
            3.057333333333334,
            3.7580000000000027,
            1.199333333333334,
        ],
        1e-14,
        "mean",
    );
    close(
        s.scale().as_slice().unwrap(),
        &[
            0.8253012917851409,
            0.43441096773549437,
            1.7594040657753032,
            0.7596926279021594,
        ],
        1e-14,
        "scale",
    );
    let z = s.transform(x.view()).unwrap();
    close(
        z.row(0).to_vec().as_slice(),
        &[
            -0.9006811702978099,
            1.0190043519716065,
            -1.3402265266227635,
            -1.3154442950077407,
        ],
        1e-13,
        "z[0]",
    );
    close(
        z.row(149).to_vec().as_slice(),
        &[
            0.06866179325140129,
            -0.1319794793216258,
            0.7627582691805523,
            0.7906706536370729,
        ],
        1e-13,
        "z[-1]",
    );

    let m = MinMaxScaler::new().fit(x.view()).unwrap();
    close(
        m.data_min().as_slice().unwrap(),
        &[4.3, 2.0, 1.0, 0.1],
        0.0,
        "data_min",
    );
    close(
        m.data_max().as_slice().unwrap(),
        &[7.9, 4.4, 6.9, 2.5],
        0.0,
        "data_max",
    );
    let t = m.transform(x.view()).unwrap();
    close(
        t.row(0).to_vec().as_slice(),
        &[
            0.2222222222222221,
            0.625,
            0.06779661016949151,
            0.04166666666666667,
        ],
        1e-14,
        "t[0]",
    );

    // f32: the same statistics to f32 precision.
    let s32 = StandardScaler::new()
        .fit(x.mapv(|v| v as f32).view())
        .unwrap();
    let scale32: Vec<f64> = s32.scale().iter().map(|v| *v as f64).collect();
    close(
        &scale32,
        &[
            0.8253012917851409,
            0.43441096773549437,
            1.7594040657753032,
            0.7596926279021594,
        ],
        1e-6,
        "scale f32",
    );
}

// from sklearn.datasets import load_diabetes
// D = load_diabetes().data           # already centred and scaled to unit norm by scikit-learn
// s = StandardScaler().fit(D); print(s.mean_.tolist()); print(s.scale_.tolist())
#[test]
fn diabetes_standard_scaler_matches_sklearn() {
    let x = datasets::diabetes().records;
    let s = StandardScaler::new().fit(x.view()).unwrap();
    // Means are ~1e-17: compare absolutely.
    assert!(s.mean().iter().all(|m| m.abs() < 1e-15), "{}", s.mean());
    close(
        s.scale().as_slice().unwrap(),
        &[
            0.04756514941544939,
            0.047565149415449585,
            0.0475651494154494,
            0.04756514941544941,
            0.047565149415449336,
            0.047565149415449426,
            0.04756514941544937,
            0.04756514941544934,
            0.04756514941544942,
            0.04756514941544945,
        ],
        1e-13,
        "scale",
    );
}
