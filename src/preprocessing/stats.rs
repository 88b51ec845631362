//! Column statistics shared by the robust scalers and transforms: percentiles
//! that skip NaN (numpy's default "linear" method) and the standard normal
//! quantile function.

/// The finite-or-infinite (non-NaN) values of `col`, sorted ascending.
pub(crate) fn sorted_non_nan(col: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = col.filter(|x| !x.is_nan()).collect();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// The `q`-th percentile (`0 ≤ q ≤ 100`) of sorted, non-empty `v` by linear
/// interpolation between the closest ranks, as `numpy.percentile`'s default:
/// position `q/100 · (n − 1)`, and `a + (b − a)·t` for `t < 0.5` but
/// `b − (b − a)·(1 − t)` otherwise (numpy's rounding-symmetric lerp).
///
/// # Panics
/// If `v` is empty (callers check).
pub(crate) fn percentile_sorted(v: &[f64], q: f64) -> f64 {
    let n = v.len();
    let pos = (q / 100.0) * (n - 1) as f64;
    let lo = (pos.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let t = pos - lo as f64;
    lerp(v[lo], v[hi], t)
}

/// numpy's `_lerp`: exact at both ends.
pub(crate) fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let d = b - a;
    if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    }
}

/// The median of sorted, non-empty `v` (numpy's `nanmedian`: the mean of the
/// two middle values for an even count).
pub(crate) fn median_sorted(v: &[f64]) -> f64 {
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        // numpy takes the mean of the two middle elements.
        // (Halves first when the sum would overflow.)
        let (a, b) = (v[n / 2 - 1], v[n / 2]);
        let m = (a + b) / 2.0;
        if m.is_finite() { m } else { a / 2.0 + b / 2.0 }
    }
}

/// The standard normal quantile function Φ⁻¹(p) for `0 < p < 1`
/// (−∞ at 0, +∞ at 1, NaN outside): Wichura's algorithm AS 241 (PPND16,
/// Applied Statistics 37, 1988), relative accuracy about 1e-16.
pub(crate) fn norm_ppf(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q * poly(&A, r) / poly(&B, r);
    }
    let r = if q < 0.0 { p } else { 1.0 - p };
    let r = (-r.ln()).sqrt();
    let x = if r <= 5.0 {
        let r = r - 1.6;
        poly(&C, r) / poly(&D, r)
    } else {
        let r = r - 5.0;
        poly(&E, r) / poly(&F, r)
    };
    if q < 0.0 { -x } else { x }
}

/// `c[0] + c[1]·x + … + c[7]·x⁷` (Horner).
fn poly(c: &[f64; 8], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &k| acc * x + k)
}

// AS 241 coefficients (Wichura 1988, table of PPND16).
const A: [f64; 8] = [
    3.387_132_872_796_366_5,
    1.331_416_678_917_843_8e2,
    1.971_590_950_306_551_3e3,
    1.373_169_376_550_946e4,
    4.592_195_393_154_987e4,
    6.726_577_092_700_87e4,
    3.343_057_558_358_813e4,
    2.509_080_928_730_122_7e3,
];
const B: [f64; 8] = [
    1.0,
    4.231_333_070_160_091e1,
    6.871_870_074_920_579e2,
    5.394_196_021_424_751e3,
    2.121_379_430_158_659_7e4,
    3.930_789_580_009_271e4,
    2.872_908_573_572_194_3e4,
    5.226_495_278_852_545e3,
];
const C: [f64; 8] = [
    1.423_437_110_749_683_5,
    4.630_337_846_156_546,
    5.769_497_221_460_691,
    3.647_848_324_763_204_5,
    1.270_458_252_452_368_4,
    2.417_807_251_774_506e-1,
    2.272_384_498_926_918_4e-2,
    7.745_450_142_783_414e-4,
];
const D: [f64; 8] = [
    1.0,
    2.053_191_626_637_759,
    1.676_384_830_183_803_8,
    6.897_673_349_851e-1,
    1.481_039_764_274_800_8e-1,
    1.519_866_656_361_645_7e-2,
    5.475_938_084_995_345e-4,
    1.050_750_071_644_416_9e-9,
];
const E: [f64; 8] = [
    6.657_904_643_501_103,
    5.463_784_911_164_114,
    1.784_826_539_917_291_3,
    2.965_605_718_285_048_7e-1,
    2.653_218_952_657_612_4e-2,
    1.242_660_947_388_078_4e-3,
    2.711_555_568_743_487_6e-5,
    2.010_334_399_292_288_1e-7,
];
const F: [f64; 8] = [
    1.0,
    5.998_322_065_558_88e-1,
    1.369_298_809_227_358e-1,
    1.487_536_129_085_061_5e-2,
    7.868_691_311_456_133e-4,
    1.846_318_317_510_054_8e-5,
    1.421_511_758_316_446e-7,
    2.044_263_103_389_939_8e-15,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_match_numpy() {
        // python -c "import numpy as np; v=[-0.4,0.1,0.3,2.0];
        //   print([np.percentile(v,q) for q in (0,10,25,50,75,80,100)])"
        // [-0.4, -0.25, -0.024999999999999994, 0.2, 0.725, 0.9800000000000006, 2.0]
        let v = [-0.4, 0.1, 0.3, 2.0];
        let want = [
            -0.4,
            -0.25,
            -0.024999999999999994,
            0.2,
            0.725,
            0.9800000000000006,
            2.0,
        ];
        for (q, w) in [0.0, 10.0, 25.0, 50.0, 75.0, 80.0, 100.0]
            .into_iter()
            .zip(want)
        {
            assert_eq!(percentile_sorted(&v, q), w, "q = {q}");
        }
        assert_eq!(percentile_sorted(&[7.0], 30.0), 7.0);
        assert_eq!(median_sorted(&v), 0.2);
        assert_eq!(median_sorted(&[1.0, 5.0, 9.0]), 5.0);
        let s = sorted_non_nan([3.0, f64::NAN, -1.0].into_iter());
        assert_eq!(s, [-1.0, 3.0]);
    }

    #[test]
    fn norm_ppf_matches_scipy() {
        // python -c "from scipy.stats import norm;
        //   print([float(norm.ppf(p)) for p in (1e-300, 1e-10, 0.025, 0.1, 0.5, 0.8, 0.975, 1-1e-7)])"
        let cases = [
            (1e-300, -37.0470962993612),
            (1e-10, -6.361340902404056),
            (0.025, -1.9599639845400545),
            (0.1, -1.2815515655446004),
            (0.5, 0.0),
            (0.8, 0.8416212335729143),
            (0.975, 1.959963984540054),
            (1.0 - 1e-7, 5.199337582290661),
        ];
        for (p, want) in cases {
            let got = norm_ppf(p);
            assert!(
                (got - want).abs() <= 1e-14 * want.abs().max(1.0),
                "ppf({p}) = {got}, want {want}"
            );
        }
        assert_eq!(norm_ppf(0.0), f64::NEG_INFINITY);
        assert_eq!(norm_ppf(1.0), f64::INFINITY);
        assert!(norm_ppf(1.5).is_nan() && norm_ppf(f64::NAN).is_nan());
    }
}
