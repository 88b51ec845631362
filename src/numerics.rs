//! Arithmetic that stays exact near the limits of the float range.
//!
//! Finite inputs close to `f64::MAX` (or far below 1) overflow or underflow
//! in sums of squares, means and ranges even when the result itself is
//! representable: `Σx²` of `[1e300, 2e300]` is `+∞`, `1.7e308 − (−1.7e308)`
//! is `+∞`. The helpers here scale by a power of two — multiplication by
//! `2ᵏ` is exact unless it leaves the normal range — so a computation can run
//! on values of order 1 and be scaled back once, at the end.

#![forbid(unsafe_code)]

/// `2ᵉ` with `m / 2ᵉ ∈ [1, 2)` for finite `m > 0` (`e` clamped to
/// `[−1022, 1023]`, so `2ᵉ` is a normal number and dividing by it is exact
/// for every normal quotient); `1` for `m = 0` or a non-finite `m`.
pub(crate) fn pow2_scale(m: f64) -> f64 {
    if !(m.is_finite() && m > 0.0) {
        return 1.0;
    }
    let biased = ((m.to_bits() >> 52) & 0x7ff) as i64;
    // Subnormal `m` (biased exponent 0) gets the smallest normal scale.
    let e = (biased - 1023).clamp(-1022, 1023);
    f64::from_bits(((e + 1023) as u64) << 52)
}

/// The largest `|v|` of `values` (0 when empty).
pub(crate) fn max_abs(values: impl IntoIterator<Item = f64>) -> f64 {
    values.into_iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// `(a − b) / s` without the intermediate overflow of `a − b` (finite `a`,
/// `b`; `s > 0`): when `a − b` leaves the range, the halves are subtracted.
#[inline]
pub(crate) fn sub_div(a: f64, b: f64, s: f64) -> f64 {
    let d = a - b;
    if d.is_finite() {
        d / s
    } else {
        (a * 0.5 - b * 0.5) / (s * 0.5)
    }
}

/// `z · s + m` without the intermediate overflow of `z · s` when the result
/// is representable (finite `z`, `m`; `s > 0`).
#[inline]
pub(crate) fn mul_add(z: f64, s: f64, m: f64) -> f64 {
    let p = z * s;
    if p.is_finite() {
        p + m
    } else {
        (z * (s * 0.5) + m * 0.5) * 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pow2_scale_brings_values_to_one() {
        for m in [
            1e300,
            1.7e308,
            f64::MAX,
            3.0,
            1.0,
            1e-300,
            1e-310,
            f64::MIN_POSITIVE,
        ] {
            let s = pow2_scale(m);
            assert_eq!(s.log2().fract(), 0.0, "{m}: {s} is a power of two");
            let q = m / s;
            if m >= f64::MIN_POSITIVE {
                assert!((1.0..2.0).contains(&q), "{m} / {s} = {q}");
            } else {
                assert!(q > 0.0 && q < 1.0, "subnormal {m} / {s} = {q}");
            }
        }
        assert_eq!(pow2_scale(0.0), 1.0);
        assert_eq!(pow2_scale(f64::INFINITY), 1.0);
        assert_eq!(max_abs([1.0, -3.0, 2.0]), 3.0);
    }

    #[test]
    fn sub_div_and_mul_add_survive_the_range_limit() {
        let (a, b): (f64, f64) = (1.7e308, -1.7e308);
        assert!((a - b).is_infinite());
        assert_eq!(sub_div(a, b, 1.7e308), 2.0);
        assert_eq!(sub_div(3.0, 1.0, 2.0), 1.0);
        assert_eq!(mul_add(2.0, 1.7e308, -1.7e308), 1.7e308);
        assert_eq!(mul_add(2.0, 3.0, 1.0), 7.0);
    }
}
