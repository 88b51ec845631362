//! The kernels with explicit AVX2 + FMA vectors (8 lanes of `f32`).
//!
//! Every kernel checks up front that the highest index it reads or writes is
//! inside its slices, then walks them with unchecked pointer arithmetic.

use std::arch::x86_64::{
    __m256i, _mm256_add_ps, _mm256_broadcast_ss, _mm256_fmadd_ps, _mm256_loadu_ps,
    _mm256_maskstore_ps, _mm256_set1_ps, _mm256_setzero_ps, _mm256_storeu_ps,
};

use super::super::super::gemm::lanes_below;
use super::{Args, GArgs, MAX_KW, WArgs, tile_starts};

/// Output rows per input-gradient tile.
const IG_ROWS: usize = 3;

/// Most input channels per input-gradient tile (`IG_ROWS · IG_CB`
/// accumulators plus `IG_CB` weights and a gradient vector fit the 16
/// registers).
const IG_CB: usize = 3;

/// Input gradient of one image (see `input_grad_rows`): tiles of
/// `IG_ROWS` rows × 8 columns (the last column tile masked) × up to
/// `IG_CB` input channels.
#[target_feature(enable = "avx2,fma")]
pub(super) fn igrad_image(a: &GArgs<'_>, gin: &mut [f32]) {
    let g = a.g;
    // Channel blocks of near-equal sizes, at most IG_CB each.
    let nb = g.c.div_ceil(IG_CB);
    let (base, extra) = (g.c / nb, g.c % nb);
    for y0 in (0..g.h).step_by(IG_ROWS) {
        let rn = (g.h - y0).min(IG_ROWS);
        for x0 in (0..g.w).step_by(8) {
            let mask = lanes_below((g.w - x0).min(8));
            let mut c0 = 0;
            for b in 0..nb {
                let cb = base + usize::from(b < extra);
                let t = Tile {
                    c0,
                    y0,
                    rn,
                    x0,
                    mask,
                };
                match cb {
                    1 => igrad_tile::<1>(a, &t, gin),
                    2 => igrad_tile::<2>(a, &t, gin),
                    _ => igrad_tile::<IG_CB>(a, &t, gin),
                }
                c0 += cb;
            }
        }
    }
}

/// One tile of the input gradient: channels `c0..c0 + CB`, rows
/// `y0..y0 + rn`, columns `x0..` under `mask` (all ones in the lanes to
/// store).
struct Tile {
    c0: usize,
    y0: usize,
    rn: usize,
    x0: usize,
    mask: __m256i,
}

// Indexing the register arrays by position keeps them in registers.
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx2,fma")]
#[inline]
fn igrad_tile<const CB: usize>(a: &GArgs<'_>, t: &Tile, gin: &mut [f32]) {
    let g = a.g;
    let k = g.kh;
    let Tile {
        c0,
        y0,
        rn,
        x0,
        mask,
    } = *t;
    assert!(k > 0 && c0 + CB <= g.c && rn <= IG_ROWS && y0 + rn <= g.h && x0 < g.w);
    assert!(g.oc * g.oh * a.wq <= a.gq.len() && x0 + 8 + k - 1 <= a.wq);
    assert!(g.oc * k * k * g.c <= a.wt.len() && gin.len() >= g.in_len());
    let (gq, wt) = (a.gq.as_ptr(), a.wt.as_ptr());
    let mut acc = [[_mm256_setzero_ps(); CB]; IG_ROWS];
    for o in 0..g.oc {
        for ki in 0..k {
            // Output row y0 + r reads gradient row y0 + r + ki − lpad:
            // rows r_lo..r_hi of the tile have one.
            let s0 = (y0 + ki) as isize - a.lpad as isize;
            let r_lo = (-s0).max(0) as usize;
            let r_hi = (g.oh as isize - s0).clamp(0, rn as isize) as usize;
            if r_lo >= r_hi {
                continue;
            }
            let wrow = (o * k + ki) * k;
            for kj in 0..k {
                let mut wb = [_mm256_setzero_ps(); CB];
                for (cb, wb) in wb.iter_mut().enumerate() {
                    // SAFETY: (wrow + kj)·c + c0 + cb < oc·k·k·c ≤ wt.len().
                    *wb = unsafe { _mm256_broadcast_ss(&*wt.add((wrow + kj) * g.c + c0 + cb)) };
                }
                for r in 0..IG_ROWS {
                    if r >= r_lo && r < r_hi {
                        // Row s0 + r ∈ 0..oh of plane o; columns
                        // x0 + kj..+8 ≤ wq (asserted above).
                        let row = (o * g.oh) as isize + s0 + r as isize;
                        // SAFETY: row < oc·oh, so the 8 floats lie in gq.
                        let xv = unsafe { _mm256_loadu_ps(gq.add(row as usize * a.wq + x0 + kj)) };
                        for cb in 0..CB {
                            acc[r][cb] = _mm256_fmadd_ps(xv, wb[cb], acc[r][cb]);
                        }
                    }
                }
            }
        }
    }
    let out = gin.as_mut_ptr();
    for r in 0..rn {
        for cb in 0..CB {
            let at = ((c0 + cb) * g.h + y0 + r) * g.w + x0;
            // SAFETY: `mask` selects columns x0..w of row y0 + r < h of
            // channel c0 + cb < c: inside the image (gin.len() ≥ in_len).
            unsafe { _mm256_maskstore_ps(out.add(at), mask, acc[r][cb]) };
        }
    }
}

/// Forward pass of one image (same tilings as `portable::fwd_image`).
#[target_feature(enable = "avx2,fma")]
pub(super) fn fwd_image(a: &Args<'_>, out: &mut [f32]) {
    let g = a.g;
    if g.oc.is_multiple_of(8) {
        let x5 = g.ow.is_multiple_of(5);
        for oy in 0..g.oh {
            for ox in tile_starts(g.ow, if x5 { 5 } else { 4 }) {
                let mut oc0 = 0;
                while oc0 < g.oc {
                    match (g.oc - oc0 >= 16, x5) {
                        (true, true) => ctile::<5, 2>(a, oc0, oy, ox, out),
                        (true, false) => ctile::<4, 2>(a, oc0, oy, ox, out),
                        (false, true) => ctile::<5, 1>(a, oc0, oy, ox, out),
                        (false, false) => ctile::<4, 1>(a, oc0, oy, ox, out),
                    }
                    oc0 += if g.oc - oc0 >= 16 { 16 } else { 8 };
                }
            }
        }
    } else if g.ow >= 16 {
        for oy in 0..g.oh {
            for ox in tile_starts(g.ow, 16) {
                blocks::<2, 6>(a, oy, ox, out);
            }
        }
    } else {
        for oy in 0..g.oh {
            for ox in tile_starts(g.ow, 8) {
                blocks::<1, 8>(a, oy, ox, out);
            }
        }
    }
}

#[target_feature(enable = "avx2,fma")]
fn blocks<const TV: usize, const MAX: usize>(a: &Args<'_>, oy: usize, ox: usize, out: &mut [f32]) {
    let mut oc0 = 0;
    while oc0 < a.g.oc {
        let rem = (a.g.oc - oc0).min(MAX);
        match rem {
            1 => tile::<TV, 1>(a, oc0, oy, ox, out),
            2 => tile::<TV, 2>(a, oc0, oy, ox, out),
            3 => tile::<TV, 3>(a, oc0, oy, ox, out),
            4 => tile::<TV, 4>(a, oc0, oy, ox, out),
            5 => tile::<TV, 5>(a, oc0, oy, ox, out),
            6 => tile::<TV, 6>(a, oc0, oy, ox, out),
            7 => tile::<TV, 7>(a, oc0, oy, ox, out),
            _ => tile::<TV, 8>(a, oc0, oy, ox, out),
        }
        oc0 += rem;
    }
}

/// Output channels `oc0..oc0 + OCB`, row `oy`, columns `ox..ox + 8·TV`
/// (columns in lanes).
// Indexing the register arrays by position keeps them in registers.
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx2,fma")]
#[inline]
fn tile<const TV: usize, const OCB: usize>(
    a: &Args<'_>,
    oc0: usize,
    oy: usize,
    ox: usize,
    out: &mut [f32],
) {
    let g = a.g;
    let t = 8 * TV;
    assert!(g.c > 0 && g.kh > 0 && g.kw > 0 && oc0 + OCB <= g.oc);
    assert!(((g.c - 1) * a.hp + oy + g.kh - 1) * a.wp + ox + g.kw - 1 + t <= a.xp.len());
    assert!(g.k() * g.oc <= a.wt.len());
    let (xp, wt) = (a.xp.as_ptr(), a.wt.as_ptr());
    let mut acc = [[_mm256_setzero_ps(); TV]; OCB];
    for c in 0..g.c {
        for ki in 0..g.kh {
            let row = (c * a.hp + oy + ki) * a.wp + ox;
            let tap0 = (c * g.kh + ki) * g.kw;
            for kj in 0..g.kw {
                let mut xv = [_mm256_setzero_ps(); TV];
                for (v, xv) in xv.iter_mut().enumerate() {
                    // SAFETY: row + kj + 8v + 8 ≤ the bound asserted above.
                    *xv = unsafe { _mm256_loadu_ps(xp.add(row + kj + 8 * v)) };
                }
                let wrow = (tap0 + kj) * g.oc + oc0;
                for (o, acc) in acc.iter_mut().enumerate() {
                    // SAFETY: wrow + o < k·oc ≤ wt.len() (asserted above).
                    let wv = unsafe { _mm256_broadcast_ss(&*wt.add(wrow + o)) };
                    for v in 0..TV {
                        acc[v] = _mm256_fmadd_ps(wv, xv[v], acc[v]);
                    }
                }
            }
        }
    }
    let p = g.p();
    for (o, acc) in acc.iter().enumerate() {
        let b = _mm256_set1_ps(a.bias.map_or(0.0, |b| b[oc0 + o]));
        let dst = &mut out[(oc0 + o) * p + oy * g.ow + ox..][..t];
        for (v, acc) in acc.iter().enumerate() {
            // SAFETY: dst has 8·TV elements.
            unsafe { _mm256_storeu_ps(dst.as_mut_ptr().add(8 * v), _mm256_add_ps(*acc, b)) };
        }
    }
}

/// Output channels `oc0..oc0 + 8·OCV` (in lanes), row `oy`, columns
/// `ox..ox + X`.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn ctile<const X: usize, const OCV: usize>(
    a: &Args<'_>,
    oc0: usize,
    oy: usize,
    ox: usize,
    out: &mut [f32],
) {
    let g = a.g;
    assert!(g.c > 0 && g.kh > 0 && g.kw > 0 && oc0 + 8 * OCV <= g.oc);
    assert!(((g.c - 1) * a.hp + oy + g.kh - 1) * a.wp + ox + g.kw - 1 + X <= a.xp.len());
    assert!(g.k() * g.oc <= a.wt.len());
    let (xp, wt) = (a.xp.as_ptr(), a.wt.as_ptr());
    let mut acc = [[_mm256_setzero_ps(); OCV]; X];
    for c in 0..g.c {
        for ki in 0..g.kh {
            let row = (c * a.hp + oy + ki) * a.wp + ox;
            let tap0 = (c * g.kh + ki) * g.kw;
            for kj in 0..g.kw {
                let wrow = (tap0 + kj) * g.oc + oc0;
                let mut wv = [_mm256_setzero_ps(); OCV];
                for (v, wv) in wv.iter_mut().enumerate() {
                    // SAFETY: wrow + 8v + 8 ≤ k·oc ≤ wt.len() (asserted above).
                    *wv = unsafe { _mm256_loadu_ps(wt.add(wrow + 8 * v)) };
                }
                for (x, acc) in acc.iter_mut().enumerate() {
                    // SAFETY: row + kj + x < the bound asserted above.
                    let xb = unsafe { _mm256_broadcast_ss(&*xp.add(row + kj + x)) };
                    for v in 0..OCV {
                        acc[v] = _mm256_fmadd_ps(xb, wv[v], acc[v]);
                    }
                }
            }
        }
    }
    let p = g.p();
    let mut lanes = [0.0f32; 8];
    for (x, acc) in acc.iter().enumerate() {
        for (v, acc) in acc.iter().enumerate() {
            // SAFETY: `lanes` has 8 elements.
            unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), *acc) };
            for (l, val) in lanes.iter().enumerate() {
                let oc = oc0 + 8 * v + l;
                out[oc * p + oy * g.ow + ox + x] = val + a.bias.map_or(0.0, |b| b[oc]);
            }
        }
    }
}

/// Weight gradient of one image (same blocking as `portable::wgrad_image`).
#[target_feature(enable = "avx2,fma")]
pub(super) fn wgrad_image(a: &WArgs<'_>, dw: &mut [f32]) {
    match a.g.kw {
        1 => wgrad_kw::<1>(a, dw),
        2 => wgrad_kw::<2>(a, dw),
        3 => wgrad_kw::<3>(a, dw),
        4 => wgrad_kw::<4>(a, dw),
        5 => wgrad_kw::<5>(a, dw),
        6 => wgrad_kw::<6>(a, dw),
        _ => wgrad_kw::<MAX_KW>(a, dw),
    }
}

#[target_feature(enable = "avx2,fma")]
fn wgrad_kw<const KW: usize>(a: &WArgs<'_>, dw: &mut [f32]) {
    let mut oc0 = 0;
    while oc0 < a.g.oc {
        if a.g.oc - oc0 >= 2 {
            wgrad_block::<KW, 2>(a, oc0, dw);
            oc0 += 2;
        } else {
            wgrad_block::<KW, 1>(a, oc0, dw);
            oc0 += 1;
        }
    }
}

// Indexing the register arrays by position keeps them in registers.
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx2,fma")]
#[inline]
fn wgrad_block<const KW: usize, const OCB: usize>(a: &WArgs<'_>, oc0: usize, dw: &mut [f32]) {
    let g = a.g;
    assert!(g.kw == KW && g.c > 0 && g.kh > 0 && g.oh > 0 && a.owr.is_multiple_of(8));
    let gplane = g.oh * a.owr;
    assert!((oc0 + OCB) * gplane <= a.gp.len());
    assert!(((g.c - 1) * a.hp + g.oh - 1 + g.kh - 1) * a.wq + a.owr + KW - 1 <= a.xp.len());
    assert!((oc0 + OCB) * g.c * g.kh * KW <= dw.len());
    let (xp, gp) = (a.xp.as_ptr(), a.gp.as_ptr());
    let tiles = a.owr / 8;
    for c in 0..g.c {
        for ki in 0..g.kh {
            let mut acc = [[_mm256_setzero_ps(); KW]; OCB];
            for oy in 0..g.oh {
                let xrow = (c * a.hp + oy + ki) * a.wq;
                for t in 0..tiles {
                    let mut gv = [_mm256_setzero_ps(); OCB];
                    for (o, gv) in gv.iter_mut().enumerate() {
                        // SAFETY: inside plane oc0 + o < oc0 + OCB (asserted above).
                        *gv = unsafe {
                            _mm256_loadu_ps(gp.add((oc0 + o) * gplane + oy * a.owr + t * 8))
                        };
                    }
                    for kj in 0..KW {
                        // SAFETY: xrow + 8t + kj + 8 ≤ the bound asserted above.
                        let xv = unsafe { _mm256_loadu_ps(xp.add(xrow + t * 8 + kj)) };
                        for o in 0..OCB {
                            acc[o][kj] = _mm256_fmadd_ps(gv[o], xv, acc[o][kj]);
                        }
                    }
                }
            }
            let mut lanes = [0.0f32; 8];
            for (o, acc) in acc.iter().enumerate() {
                let base = (((oc0 + o) * g.c + c) * g.kh + ki) * KW;
                for (kj, v) in acc.iter().enumerate() {
                    // SAFETY: `lanes` has 8 elements.
                    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), *v) };
                    let s = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
                        + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
                    dw[base + kj] += s;
                }
            }
        }
    }
}
