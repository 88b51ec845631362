//! The direct kernels in plain Rust, for any target (the vector kernels in
//! `avx2` and `avx512` follow the same tilings); `FMA` chooses fused
//! multiply-adds.

use super::{Args, MAX_KW, WArgs, tile_starts};

/// `a·b + c`, fused when the target has FMA (a call to `fmaf` otherwise).
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { c + a * b }
}

#[inline(always)]
pub(super) fn fwd_image<const FMA: bool>(a: &Args<'_>, out: &mut [f32]) {
    let g = a.g;
    if g.oc.is_multiple_of(8) {
        // Channels in vector lanes, a few output columns per tile.
        let x5 = g.ow.is_multiple_of(5);
        for oy in 0..g.oh {
            for ox in tile_starts(g.ow, if x5 { 5 } else { 4 }) {
                let mut oc0 = 0;
                while oc0 < g.oc {
                    if g.oc - oc0 >= 16 {
                        if x5 {
                            ctile::<5, 16, FMA>(a, oc0, oy, ox, out);
                        } else {
                            ctile::<4, 16, FMA>(a, oc0, oy, ox, out);
                        }
                        oc0 += 16;
                    } else {
                        if x5 {
                            ctile::<5, 8, FMA>(a, oc0, oy, ox, out);
                        } else {
                            ctile::<4, 8, FMA>(a, oc0, oy, ox, out);
                        }
                        oc0 += 8;
                    }
                }
            }
        }
    } else if g.ow >= 16 {
        for oy in 0..g.oh {
            for ox in tile_starts(g.ow, 16) {
                blocks::<16, 6, FMA>(a, oy, ox, out);
            }
        }
    } else {
        for oy in 0..g.oh {
            for ox in tile_starts(g.ow, 8) {
                blocks::<8, 8, FMA>(a, oy, ox, out);
            }
        }
    }
}

/// All output channels of one column tile, in blocks of at most `MAX` channels.
#[inline(always)]
fn blocks<const T: usize, const MAX: usize, const FMA: bool>(
    a: &Args<'_>,
    oy: usize,
    ox: usize,
    out: &mut [f32],
) {
    let mut oc0 = 0;
    while oc0 < a.g.oc {
        let rem = (a.g.oc - oc0).min(MAX);
        match rem {
            1 => tile::<T, 1, FMA>(a, oc0, oy, ox, out),
            2 => tile::<T, 2, FMA>(a, oc0, oy, ox, out),
            3 => tile::<T, 3, FMA>(a, oc0, oy, ox, out),
            4 => tile::<T, 4, FMA>(a, oc0, oy, ox, out),
            5 => tile::<T, 5, FMA>(a, oc0, oy, ox, out),
            6 => tile::<T, 6, FMA>(a, oc0, oy, ox, out),
            7 => tile::<T, 7, FMA>(a, oc0, oy, ox, out),
            _ => tile::<T, 8, FMA>(a, oc0, oy, ox, out),
        }
        oc0 += rem;
    }
}

/// Output channels `oc0..oc0 + OCB`, row `oy`, columns `ox..ox + T`
/// (columns in vector lanes).
#[inline(always)]
fn tile<const T: usize, const OCB: usize, const FMA: bool>(
    a: &Args<'_>,
    oc0: usize,
    oy: usize,
    ox: usize,
    out: &mut [f32],
) {
    let g = a.g;
    let mut acc = [[0.0f32; T]; OCB];
    for c in 0..g.c {
        for ki in 0..g.kh {
            let row = &a.xp[(c * a.hp + oy + ki) * a.wp + ox..];
            let tap0 = (c * g.kh + ki) * g.kw;
            for kj in 0..g.kw {
                let xs: &[f32; T] = row[kj..kj + T].try_into().expect("tile inside row");
                let ws: &[f32; OCB] = a.wt[(tap0 + kj) * g.oc + oc0..][..OCB]
                    .try_into()
                    .expect("block inside weights");
                for o in 0..OCB {
                    let wv = ws[o];
                    for l in 0..T {
                        acc[o][l] = madd::<FMA>(wv, xs[l], acc[o][l]);
                    }
                }
            }
        }
    }
    let p = g.p();
    for (o, acc) in acc.iter().enumerate() {
        let b = a.bias.map_or(0.0, |b| b[oc0 + o]);
        let dst = &mut out[(oc0 + o) * p + oy * g.ow + ox..][..T];
        for (d, v) in dst.iter_mut().zip(acc) {
            *d = v + b;
        }
    }
}

/// Output channels `oc0..oc0 + OCW` (in vector lanes), row `oy`, columns
/// `ox..ox + X`.
#[inline(always)]
fn ctile<const X: usize, const OCW: usize, const FMA: bool>(
    a: &Args<'_>,
    oc0: usize,
    oy: usize,
    ox: usize,
    out: &mut [f32],
) {
    let g = a.g;
    let mut acc = [[0.0f32; OCW]; X];
    for c in 0..g.c {
        for ki in 0..g.kh {
            let row = &a.xp[(c * a.hp + oy + ki) * a.wp + ox..];
            let tap0 = (c * g.kh + ki) * g.kw;
            for kj in 0..g.kw {
                let xs: &[f32; X] = row[kj..kj + X].try_into().expect("tile inside row");
                let ws: &[f32; OCW] = a.wt[(tap0 + kj) * g.oc + oc0..][..OCW]
                    .try_into()
                    .expect("block inside weights");
                for x in 0..X {
                    let xv = xs[x];
                    for l in 0..OCW {
                        acc[x][l] = madd::<FMA>(xv, ws[l], acc[x][l]);
                    }
                }
            }
        }
    }
    let p = g.p();
    for (x, acc) in acc.iter().enumerate() {
        for (l, v) in acc.iter().enumerate() {
            let b = a.bias.map_or(0.0, |b| b[oc0 + l]);
            out[(oc0 + l) * p + oy * g.ow + ox + x] = v + b;
        }
    }
}

#[inline(always)]
pub(super) fn wgrad_image<const FMA: bool>(a: &WArgs<'_>, dw: &mut [f32]) {
    match a.g.kw {
        1 => wgrad_kw::<1, FMA>(a, dw),
        2 => wgrad_kw::<2, FMA>(a, dw),
        3 => wgrad_kw::<3, FMA>(a, dw),
        4 => wgrad_kw::<4, FMA>(a, dw),
        5 => wgrad_kw::<5, FMA>(a, dw),
        6 => wgrad_kw::<6, FMA>(a, dw),
        _ => wgrad_kw::<MAX_KW, FMA>(a, dw),
    }
}

#[inline(always)]
fn wgrad_kw<const KW: usize, const FMA: bool>(a: &WArgs<'_>, dw: &mut [f32]) {
    let mut oc0 = 0;
    while oc0 < a.g.oc {
        if a.g.oc - oc0 >= 2 {
            wgrad_block::<KW, 2, FMA>(a, oc0, dw);
            oc0 += 2;
        } else {
            wgrad_block::<KW, 1, FMA>(a, oc0, dw);
            oc0 += 1;
        }
    }
}

/// Output channels `oc0..oc0 + OCB` of the weight gradient of one image.
#[inline(always)]
fn wgrad_block<const KW: usize, const OCB: usize, const FMA: bool>(
    a: &WArgs<'_>,
    oc0: usize,
    dw: &mut [f32],
) {
    let g = a.g;
    debug_assert_eq!(g.kw, KW);
    let gplane = g.oh * a.owr;
    let tiles = a.owr / 8;
    for c in 0..g.c {
        for ki in 0..g.kh {
            let mut acc = [[[0.0f32; 8]; KW]; OCB];
            for oy in 0..g.oh {
                let xrow = &a.xp[(c * a.hp + oy + ki) * a.wq..][..a.wq];
                for t in 0..tiles {
                    let mut gv = [[0.0f32; 8]; OCB];
                    for (o, gv) in gv.iter_mut().enumerate() {
                        *gv = a.gp[(oc0 + o) * gplane + oy * a.owr + t * 8..][..8]
                            .try_into()
                            .expect("tile inside gradient row");
                    }
                    for kj in 0..KW {
                        let xv: &[f32; 8] = xrow[t * 8 + kj..][..8]
                            .try_into()
                            .expect("tile inside padded row");
                        for o in 0..OCB {
                            for l in 0..8 {
                                acc[o][kj][l] = madd::<FMA>(gv[o][l], xv[l], acc[o][kj][l]);
                            }
                        }
                    }
                }
            }
            for (o, acc) in acc.iter().enumerate() {
                let base = (((oc0 + o) * g.c + c) * g.kh + ki) * KW;
                for (kj, lanes) in acc.iter().enumerate() {
                    let s = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
                        + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
                    dw[base + kj] += s;
                }
            }
        }
    }
}
