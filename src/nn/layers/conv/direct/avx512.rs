//! The kernels with AVX-512 vectors (16 lanes of `f32`); geometries they do
//! not cover fall back to the AVX2 kernels.

use std::arch::x86_64::{
    __mmask16, _mm512_add_ps, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_mask_storeu_ps,
    _mm512_reduce_add_ps, _mm512_set1_ps, _mm512_setzero_ps, _mm512_storeu_ps,
};

use super::{Args, FlatArgs, GArgs, MAX_KW, tile_starts};

/// Output rows per input-gradient tile.
const IG_ROWS: usize = 4;

/// Most input channels per input-gradient tile (`IG_ROWS · IG_CB`
/// accumulators plus `IG_CB` weights fit the 32 registers).
const IG_CB: usize = 6;

/// Forward pass of one image; `false` (nothing written) when the
/// geometry is left to the AVX2 kernels (outputs narrower than 16 with a
/// channel count that is not a multiple of 16).
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) fn fwd_image(a: &Args<'_>, out: &mut [f32]) -> bool {
    let g = a.g;
    if g.oc.is_multiple_of(16) {
        let x5 = g.ow.is_multiple_of(5);
        for oy in 0..g.oh {
            for ox in tile_starts(g.ow, if x5 { 5 } else { 4 }) {
                for oc0 in (0..g.oc).step_by(16) {
                    if x5 {
                        ctile::<5>(a, oc0, oy, ox, out);
                    } else {
                        ctile::<4>(a, oc0, oy, ox, out);
                    }
                }
            }
        }
        true
    } else if g.ow >= 16 {
        let mut oy = 0;
        while oy < g.oh {
            let two = oy + 1 < g.oh;
            for ox in tile_starts(g.ow, 16) {
                let mut oc0 = 0;
                while oc0 < g.oc {
                    let rem = (g.oc - oc0).min(8);
                    if two {
                        rows::<2>(a, oc0, rem, oy, ox, out);
                    } else {
                        rows::<1>(a, oc0, rem, oy, ox, out);
                    }
                    oc0 += rem;
                }
            }
            oy += if two { 2 } else { 1 };
        }
        true
    } else {
        false
    }
}

#[target_feature(enable = "avx512f,avx2,fma")]
fn rows<const R: usize>(
    a: &Args<'_>,
    oc0: usize,
    ocb: usize,
    oy: usize,
    ox: usize,
    out: &mut [f32],
) {
    match ocb {
        1 => tile::<R, 1>(a, oc0, oy, ox, out),
        2 => tile::<R, 2>(a, oc0, oy, ox, out),
        3 => tile::<R, 3>(a, oc0, oy, ox, out),
        4 => tile::<R, 4>(a, oc0, oy, ox, out),
        5 => tile::<R, 5>(a, oc0, oy, ox, out),
        6 => tile::<R, 6>(a, oc0, oy, ox, out),
        7 => tile::<R, 7>(a, oc0, oy, ox, out),
        _ => tile::<R, 8>(a, oc0, oy, ox, out),
    }
}

/// Output channels `oc0..oc0 + OCB`, rows `oy..oy + R`, columns
/// `ox..ox + 16` (columns in lanes).
// Indexing the register arrays by position keeps them in registers.
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
fn tile<const R: usize, const OCB: usize>(
    a: &Args<'_>,
    oc0: usize,
    oy: usize,
    ox: usize,
    out: &mut [f32],
) {
    let g = a.g;
    assert!(g.c > 0 && g.kh > 0 && g.kw > 0 && oc0 + OCB <= g.oc && oy + R <= g.oh);
    assert!(((g.c - 1) * a.hp + oy + R - 1 + g.kh - 1) * a.wp + ox + g.kw - 1 + 16 <= a.xp.len());
    assert!(g.k() * g.oc <= a.wt.len());
    let (xp, wt) = (a.xp.as_ptr(), a.wt.as_ptr());
    let mut acc = [[_mm512_setzero_ps(); OCB]; R];
    for c in 0..g.c {
        for ki in 0..g.kh {
            let row = (c * a.hp + oy + ki) * a.wp + ox;
            let tap0 = (c * g.kh + ki) * g.kw;
            for kj in 0..g.kw {
                let mut xv = [_mm512_setzero_ps(); R];
                for (r, xv) in xv.iter_mut().enumerate() {
                    // SAFETY: row + r·wp + kj + 16 ≤ the bound asserted above.
                    *xv = unsafe { _mm512_loadu_ps(xp.add(row + r * a.wp + kj)) };
                }
                let wrow = (tap0 + kj) * g.oc + oc0;
                for o in 0..OCB {
                    // SAFETY: wrow + o < k·oc ≤ wt.len() (asserted above).
                    let wv = _mm512_set1_ps(unsafe { *wt.add(wrow + o) });
                    for r in 0..R {
                        acc[r][o] = _mm512_fmadd_ps(wv, xv[r], acc[r][o]);
                    }
                }
            }
        }
    }
    let p = g.p();
    for (r, acc) in acc.iter().enumerate() {
        for (o, acc) in acc.iter().enumerate() {
            let b = _mm512_set1_ps(a.bias.map_or(0.0, |b| b[oc0 + o]));
            let dst = &mut out[(oc0 + o) * p + (oy + r) * g.ow + ox..][..16];
            // SAFETY: dst has 16 elements.
            unsafe { _mm512_storeu_ps(dst.as_mut_ptr(), _mm512_add_ps(*acc, b)) };
        }
    }
}

/// Output channels `oc0..oc0 + 16` (in lanes), row `oy`, columns
/// `ox..ox + X`.
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
fn ctile<const X: usize>(a: &Args<'_>, oc0: usize, oy: usize, ox: usize, out: &mut [f32]) {
    let g = a.g;
    assert!(g.c > 0 && g.kh > 0 && g.kw > 0 && oc0 + 16 <= g.oc);
    assert!(((g.c - 1) * a.hp + oy + g.kh - 1) * a.wp + ox + g.kw - 1 + X <= a.xp.len());
    assert!(g.k() * g.oc <= a.wt.len());
    let (xp, wt) = (a.xp.as_ptr(), a.wt.as_ptr());
    let mut acc = [_mm512_setzero_ps(); X];
    for c in 0..g.c {
        for ki in 0..g.kh {
            let row = (c * a.hp + oy + ki) * a.wp + ox;
            let tap0 = (c * g.kh + ki) * g.kw;
            for kj in 0..g.kw {
                // SAFETY: (tap0 + kj)·oc + oc0 + 16 ≤ k·oc ≤ wt.len() (asserted above).
                let wv = unsafe { _mm512_loadu_ps(wt.add((tap0 + kj) * g.oc + oc0)) };
                for (x, acc) in acc.iter_mut().enumerate() {
                    // SAFETY: row + kj + x < the bound asserted above.
                    let xb = _mm512_set1_ps(unsafe { *xp.add(row + kj + x) });
                    *acc = _mm512_fmadd_ps(xb, wv, *acc);
                }
            }
        }
    }
    let p = g.p();
    let mut lanes = [0.0f32; 16];
    for (x, acc) in acc.iter().enumerate() {
        // SAFETY: `lanes` has 16 elements.
        unsafe { _mm512_storeu_ps(lanes.as_mut_ptr(), *acc) };
        for (l, val) in lanes.iter().enumerate() {
            let oc = oc0 + l;
            out[oc * p + oy * g.ow + ox + x] = val + a.bias.map_or(0.0, |b| b[oc]);
        }
    }
}

/// Input gradient of one image (see `input_grad_rows`): tiles of
/// `IG_ROWS` rows × 16 columns (the last column tile masked) × up to
/// `IG_CB` input channels.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) fn igrad_image(a: &GArgs<'_>, gin: &mut [f32]) {
    let g = a.g;
    // Channel blocks of near-equal sizes, at most IG_CB each.
    let nb = g.c.div_ceil(IG_CB);
    let (base, extra) = (g.c / nb, g.c % nb);
    for y0 in (0..g.h).step_by(IG_ROWS) {
        let rn = (g.h - y0).min(IG_ROWS);
        for x0 in (0..g.w).step_by(16) {
            let mask = (u32::MAX >> (32 - (g.w - x0).min(16))) as __mmask16;
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
                    3 => igrad_tile::<3>(a, &t, gin),
                    4 => igrad_tile::<4>(a, &t, gin),
                    5 => igrad_tile::<5>(a, &t, gin),
                    _ => igrad_tile::<IG_CB>(a, &t, gin),
                }
                c0 += cb;
            }
        }
    }
}

/// One tile of the input gradient: channels `c0..c0 + CB`, rows
/// `y0..y0 + rn`, columns `x0..` under `mask`.
struct Tile {
    c0: usize,
    y0: usize,
    rn: usize,
    x0: usize,
    mask: __mmask16,
}

// Indexing the register arrays by position keeps them in registers.
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx512f,avx2,fma")]
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
    assert!(g.oc * g.oh * a.wq <= a.gq.len() && x0 + 16 + k - 1 <= a.wq);
    assert!(g.oc * k * k * g.c <= a.wt.len() && gin.len() >= g.in_len());
    let (gq, wt) = (a.gq.as_ptr(), a.wt.as_ptr());
    let mut acc = [[_mm512_setzero_ps(); CB]; IG_ROWS];
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
                let mut wb = [_mm512_setzero_ps(); CB];
                for (cb, wb) in wb.iter_mut().enumerate() {
                    // SAFETY: (wrow + kj)·c + c0 + cb < oc·k·k·c ≤ wt.len().
                    *wb = _mm512_set1_ps(unsafe { *wt.add((wrow + kj) * g.c + c0 + cb) });
                }
                for r in 0..IG_ROWS {
                    if r >= r_lo && r < r_hi {
                        // Row s0 + r ∈ 0..oh of plane o; columns
                        // x0 + kj..+16 ≤ wq (asserted above).
                        let row = (o * g.oh) as isize + s0 + r as isize;
                        // SAFETY: row < oc·oh, so the 16 floats lie in gq.
                        let xv = unsafe { _mm512_loadu_ps(gq.add(row as usize * a.wq + x0 + kj)) };
                        for cb in 0..CB {
                            acc[r][cb] = _mm512_fmadd_ps(xv, wb[cb], acc[r][cb]);
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
            unsafe { _mm512_mask_storeu_ps(out.add(at), mask, acc[r][cb]) };
        }
    }
}

/// Adds the weight gradient of a group of images to `dw` (see
/// `weight_grad_flat`).
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) fn wgrad_flat(a: &FlatArgs<'_>, dw: &mut [f32]) {
    match a.g.kw {
        1 => flat_kw::<1>(a, dw),
        2 => flat_kw::<2>(a, dw),
        3 => flat_kw::<3>(a, dw),
        4 => flat_kw::<4>(a, dw),
        5 => flat_kw::<5>(a, dw),
        6 => flat_kw::<6>(a, dw),
        _ => flat_kw::<MAX_KW>(a, dw),
    }
}

#[target_feature(enable = "avx512f,avx2,fma")]
fn flat_kw<const KW: usize>(a: &FlatArgs<'_>, dw: &mut [f32]) {
    // Blocks of up to 4 output channels (3 for 7-wide kernels): every
    // (unaligned) image load feeds that many accumulators, and the
    // `OCB · KW` accumulators plus `OCB` gradient vectors fit the 32
    // registers.
    let wide = if KW <= 6 { 4 } else { 3 };
    let mut oc0 = 0;
    while oc0 < a.g.oc {
        let ocb = (a.g.oc - oc0).min(wide);
        match ocb {
            1 => flat_block::<KW, 1>(a, oc0, dw),
            2 => flat_block::<KW, 2>(a, oc0, dw),
            3 => flat_block::<KW, 3>(a, oc0, dw),
            _ => flat_block::<KW, 4>(a, oc0, dw),
        }
        oc0 += ocb;
    }
}

// Indexing the register arrays by position keeps them in registers.
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
fn flat_block<const KW: usize, const OCB: usize>(a: &FlatArgs<'_>, oc0: usize, dw: &mut [f32]) {
    let g = a.g;
    assert!(g.kw == KW && g.c > 0 && g.kh > 0 && a.qlen.is_multiple_of(16));
    let (ximg, gimg) = (g.c * a.xs, g.oc * a.qlen);
    assert!(oc0 + OCB <= g.oc && a.n * gimg <= a.gq.len());
    assert!(a.xs >= a.qlen + (g.kh - 1) * a.wq + KW - 1 && a.n * ximg <= a.xp.len());
    assert!((oc0 + OCB) * g.c * g.kh * KW <= dw.len());
    let (xp, gq) = (a.xp.as_ptr(), a.gq.as_ptr());
    for c in 0..g.c {
        for ki in 0..g.kh {
            let mut acc = [[_mm512_setzero_ps(); KW]; OCB];
            for i in 0..a.n {
                let xbase = i * ximg + c * a.xs + ki * a.wq;
                let gbase = i * gimg + oc0 * a.qlen;
                for q in (0..a.qlen).step_by(16) {
                    let mut gv = [_mm512_setzero_ps(); OCB];
                    for (o, gv) in gv.iter_mut().enumerate() {
                        // SAFETY: gbase + o·qlen + q + 16 ≤ (i + 1)·gimg ≤ gq.len()
                        // (oc0 + OCB ≤ oc, asserted above).
                        *gv = unsafe { _mm512_loadu_ps(gq.add(gbase + o * a.qlen + q)) };
                    }
                    for kj in 0..KW {
                        // SAFETY: xbase + q + kj + 16 ≤ i·ximg + (c + 1)·xs ≤ xp.len()
                        // (asserted above).
                        let xv = unsafe { _mm512_loadu_ps(xp.add(xbase + q + kj)) };
                        for o in 0..OCB {
                            acc[o][kj] = _mm512_fmadd_ps(gv[o], xv, acc[o][kj]);
                        }
                    }
                }
            }
            for (o, acc) in acc.iter().enumerate() {
                let base = (((oc0 + o) * g.c + c) * g.kh + ki) * KW;
                for (kj, v) in acc.iter().enumerate() {
                    dw[base + kj] += _mm512_reduce_add_ps(*v);
                }
            }
        }
    }
}
