//! Direct (register-blocked) convolution kernels for stride 1.
//!
//! LeNet's convolutions have only 1–16 channels, so lowering them to GEMM
//! (im2col, packing, a GEMM with 6 or 16 rows, reordering the result, col2im)
//! costs more than the multiply-adds. These kernels keep a tile of outputs in
//! registers while the kernel window slides over a zero-padded copy of one
//! image:
//! - forward: tiles of `T` output columns × up to 8 channels when the
//!   channel count is not a multiple of 8, otherwise `X` output columns × 8
//!   or 16 channels;
//! - input gradient (the correlation of the output gradient, padded by
//!   `k − 1 − pad`, with the flipped kernel with its channel axes swapped):
//!   with AVX-512 / AVX2, tiles of one vector of input columns (the last
//!   one masked) × 4 / 3 input rows × up to 6 / 3 input channels, where each
//!   row takes only the kernel rows that land on gradient rows (vertical
//!   padding costs nothing); the portable code runs the forward kernels on
//!   the padded gradient;
//! - weight gradient: for one input channel and kernel row, 8-wide partial
//!   sums of `OCB` output channels × all `kw` kernel columns, reduced across
//!   lanes once per (channel, kernel row) and image (AVX-512: 16-wide, up to
//!   4 output channels, reduced once per group of a few images).
//!
//! Work is split into fixed chunks of images (independent of the thread
//! count); weight-gradient chunks are summed by the caller in a fixed order,
//! so results are the same on any number of threads.
//!
//! Files: this one holds the entry points, the instruction-set dispatch and
//! the shared copies and layouts; `portable` the kernels in plain Rust (any
//! target); `avx2` and `avx512` the same tilings with explicit vectors;
//! `tests` checks every kernel set this CPU runs against im2col + GEMM.

use super::{Geom, Isa, isa, lane_sum};
use crate::nn::buf::{grow, with_scratch};

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod portable;
#[cfg(test)]
mod tests;

/// Images per weight-gradient partial sum.
pub(super) const WGRAD_CHUNK: usize = 4;

/// Largest kernel width of the weight-gradient kernel (accumulators live in
/// registers: `2 · kw` vectors).
const MAX_KW: usize = 7;

/// Whether [`forward_images`] handles this geometry (stride 1, outputs ≥ 8 wide).
pub(super) fn forward_applies(g: &Geom) -> bool {
    g.stride == 1 && g.ow >= 8
}

/// Whether [`input_grad_images`] handles this geometry: the input gradient is a
/// stride-1 convolution of the output gradient padded by `k − 1 − pad`, so
/// the kernel must be square, the padding smaller than it, and the input at
/// least 8 wide.
pub(super) fn input_grad_applies(g: &Geom) -> bool {
    g.stride == 1 && g.kh == g.kw && g.pad < g.kh && g.w >= 8
}

/// Whether [`weight_grad`] handles this geometry.
pub(super) fn weight_grad_applies(g: &Geom) -> bool {
    g.stride == 1 && g.kw <= MAX_KW
}

/// Copies one image `[c, h, w]` (geometry `g`) into the zero-padded
/// `[c, hp, wp]` (the image at row and column `pad`; `wp` may exceed
/// `w + 2·pad`).
///
/// With `zero` false the border is assumed to be zero already (the buffer
/// held another image of the same geometry: only the interior is written).
fn pad_into(g: &Geom, x: &[f32], hp: usize, wp: usize, xp: &mut [f32], zero: bool) {
    let (c, h, w, pad) = (g.c, g.h, g.w, g.pad);
    if zero {
        xp.fill(0.0);
    }
    for ci in 0..c {
        for y in 0..h {
            let dst = &mut xp[(ci * hp + y + pad) * wp + pad..][..w];
            copy_short(dst, &x[(ci * h + y) * w..][..w]);
        }
    }
}

/// `dst.copy_from_slice(src)` for the short rows of LeNet-sized images, in
/// fixed-size blocks the compiler inlines (a `memcpy` call per row cost more
/// than the copy).
#[inline]
fn copy_short(dst: &mut [f32], src: &[f32]) {
    assert_eq!(dst.len(), src.len());
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in (&mut d).zip(&mut s) {
        let s: &[f32; 8] = s.try_into().expect("8 elements");
        let d: &mut [f32; 8] = d.try_into().expect("8 elements");
        *d = *s;
    }
    for (d, s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d = *s;
    }
}

/// The weights `[oc, c, kh, kw]` as the forward kernels read them,
/// `[c·kh·kw, oc]` (the weights of one kernel tap contiguous).
pub(super) fn forward_prepare(g: &Geom, w: &[f32]) -> Vec<f32> {
    let k = g.k();
    let mut wt = vec![0.0f32; k * g.oc];
    for oc in 0..g.oc {
        for (j, &v) in w[oc * k..(oc + 1) * k].iter().enumerate() {
            wt[j * g.oc + oc] = v;
        }
    }
    wt
}

/// Forward pass of the images in `x` one after the other on this thread,
/// with weights from [`forward_prepare`].
///
/// # Panics
/// If `!forward_applies(g)` (an internal invariant).
pub(super) fn forward_images(
    g: &Geom,
    x: &[f32],
    wt: &[f32],
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    forward_images_isa(isa(), g, x, wt, bias, out);
}

fn forward_images_isa(
    isa: Isa,
    g: &Geom,
    x: &[f32],
    wt: &[f32],
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    assert!(
        forward_applies(g),
        "direct convolution: unsupported geometry"
    );
    if g.in_len() == 0 || g.out_len() == 0 {
        return;
    }
    let (hp, wp) = (g.h + 2 * g.pad, g.w + 2 * g.pad);
    with_scratch(|s| {
        for (i, (oi, xi)) in out
            .chunks_mut(g.out_len())
            .zip(x.chunks(g.in_len()))
            .enumerate()
        {
            let xp: &[f32] = if g.pad == 0 {
                xi
            } else {
                let xp = grow(&mut s.a, g.c * hp * wp);
                pad_into(g, xi, hp, wp, xp, i == 0);
                xp
            };
            let a = Args {
                g,
                xp,
                hp,
                wp,
                wt,
                bias,
            };
            fwd_image(isa, &a, oi);
        }
    });
}

/// The weights of the input-gradient kernels, computed once per batch from
/// `w` `[oc, c, k, k]`: flipped in both spatial axes, tap-major with the
/// input channels contiguous, `[oc·k·k, c]` with
/// `prepared[((o·k + i)·k + j)·c + ci] = w[o][ci][k−1−i][k−1−j]`
/// (which is also the forward kernels' layout of the transposed
/// convolution).
///
/// # Panics
/// If `!input_grad_applies(g)` or `w` is shorter than `oc·c·k·k`.
pub(super) fn input_grad_prepare(g: &Geom, w: &[f32]) -> Vec<f32> {
    assert!(
        input_grad_applies(g),
        "direct convolution: unsupported geometry"
    );
    let k = g.kh;
    let mut prepared = vec![0.0f32; g.oc * g.k()];
    for o in 0..g.oc {
        for c in 0..g.c {
            for i in 0..k {
                for j in 0..k {
                    prepared[((o * k + i) * k + j) * g.c + c] =
                        w[((o * g.c + c) * k + k - 1 - i) * k + k - 1 - j];
                }
            }
        }
    }
    prepared
}

/// Input gradient of the images in `gout` (`gout.len() / g.out_len()` of
/// them; NCHW) into `gin` (overwritten), with weights from
/// [`input_grad_prepare`]. Serial (the caller parallelises over image
/// chunks); uses this thread's scratch space. Every image is computed on
/// its own, in a fixed order of operations, so any split of a batch into
/// calls gives the same bits.
///
/// # Panics
/// If `!input_grad_applies(g)` or the slices do not hold whole images.
pub(super) fn input_grad_images(g: &Geom, prepared: &[f32], gout: &[f32], gin: &mut [f32]) {
    input_grad_images_isa(isa(), g, prepared, gout, gin);
}

fn input_grad_images_isa(isa: Isa, g: &Geom, prepared: &[f32], gout: &[f32], gin: &mut [f32]) {
    assert!(
        input_grad_applies(g),
        "direct convolution: unsupported geometry"
    );
    if g.out_len() == 0 {
        // No output (or no output channel): nothing flows back.
        gin.fill(0.0);
        return;
    }
    let n = gout.len() / g.out_len();
    assert!(
        gout.len() == n * g.out_len() && gin.len() == n * g.in_len(),
        "input gradient: slices do not hold the same whole images"
    );
    assert_eq!(prepared.len(), g.oc * g.k(), "input gradient: weights");
    if n == 0 || g.in_len() == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if isa != Isa::Plain {
        input_grad_rows(isa, g, prepared, gout, gin);
        return;
    }
    // The stride-1 forward convolution of `gout` padded by `k − 1 − pad`
    // with the prepared (flipped, channel-swapped) kernel.
    let k = g.kh;
    let gt = Geom {
        c: g.oc,
        h: g.oh,
        w: g.ow,
        oc: g.c,
        kh: k,
        kw: k,
        stride: 1,
        pad: k - 1 - g.pad,
        oh: g.h,
        ow: g.w,
    };
    let (hp, wp) = (gt.h + 2 * gt.pad, gt.w + 2 * gt.pad);
    with_scratch(|s| {
        for (gi, go) in gin.chunks_mut(g.in_len()).zip(gout.chunks(g.out_len())) {
            let xp: &[f32] = if gt.pad == 0 {
                go
            } else {
                let xp = grow(&mut s.a, gt.c * hp * wp);
                pad_into(&gt, go, hp, wp, xp, true);
                xp
            };
            let a = Args {
                g: &gt,
                xp,
                hp,
                wp,
                wt: prepared,
                bias: None,
            };
            fwd_image(isa, &a, gi);
        }
    });
}

/// The input gradient with explicit vectors (AVX-512: 16 lanes, AVX2: 8),
/// as a correlation of the output gradient (padded by `k − 1 − pad` columns
/// only) with the prepared kernel, taking for each input row only the
/// kernel rows whose gradient row exists: no multiply-add touches vertical
/// padding. Tiles are whole vectors of input columns (the last one masked)
/// × a few input rows × a few input channels.
#[cfg(target_arch = "x86_64")]
fn input_grad_rows(isa: Isa, g: &Geom, prepared: &[f32], gout: &[f32], gin: &mut [f32]) {
    let k = g.kh;
    let lpad = k - 1 - g.pad;
    let lanes = if isa == Isa::Avx512 { 16 } else { 8 };
    // Column tiles (the last one masked) read `k − 1` columns past them.
    let wq = g.w.next_multiple_of(lanes) + k - 1;
    with_scratch(|s| {
        let gq = grow(&mut s.a, g.oc * g.oh * wq);
        // Only the gradient columns are written below: the rest stays zero
        // for every image.
        gq.fill(0.0);
        for (gi, go) in gin.chunks_mut(g.in_len()).zip(gout.chunks(g.out_len())) {
            for (dst, src) in gq.chunks_mut(wq).zip(go.chunks(g.ow)) {
                copy_short(&mut dst[lpad..lpad + g.ow], src);
            }
            let a = GArgs {
                g,
                gq,
                wq,
                lpad,
                wt: prepared,
            };
            match isa {
                // SAFETY: `isa_of` (of this CPU's features) found AVX-512F, AVX2 and FMA on this CPU.
                Isa::Avx512 => unsafe { avx512::igrad_image(&a, gi) },
                // SAFETY: `isa_of` (of this CPU's features) found AVX2 and FMA on this CPU.
                _ => unsafe { avx2::igrad_image(&a, gi) },
            }
        }
    });
}

/// Inputs of the vector input-gradient kernels for one image.
#[cfg(target_arch = "x86_64")]
struct GArgs<'a> {
    g: &'a Geom,
    /// Output gradient `[oc, oh, wq]`, image columns at `lpad..lpad + ow`,
    /// zero elsewhere (`wq` ≥ the input width rounded up to whole vectors,
    /// plus `k − 1`).
    gq: &'a [f32],
    wq: usize,
    /// `k − 1 − pad`.
    lpad: usize,
    /// Weights from `input_grad_prepare`.
    wt: &'a [f32],
}

/// Adds the weight gradient `[oc, c, kh, kw]` and bias gradient `[oc]` of
/// the images `x` (NCHW) with output gradients `gout` to `dw` and `db`
/// (images in order; the caller zeroes `dw` and `db`).
///
/// # Panics
/// If `!weight_grad_applies(g)` (an internal invariant).
pub(super) fn weight_grad(g: &Geom, x: &[f32], gout: &[f32], dw: &mut [f32], db: &mut [f32]) {
    weight_grad_isa(isa(), g, x, gout, dw, db);
}

fn weight_grad_isa(isa: Isa, g: &Geom, x: &[f32], gout: &[f32], dw: &mut [f32], db: &mut [f32]) {
    assert!(
        weight_grad_applies(g),
        "direct convolution: unsupported geometry"
    );
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx512 {
        weight_grad_flat(g, x, gout, dw, db);
        return;
    }
    let owr = g.ow.next_multiple_of(8);
    let hp = g.h + 2 * g.pad;
    let wq = (g.w + 2 * g.pad).max(owr + g.kw - 1);
    with_scratch(|s| {
        let xp = grow(&mut s.a, g.c * hp * wq);
        let gp = grow(&mut s.b, g.oc * g.oh * owr);
        gp.fill(0.0);
        for (i, (xi, gi)) in x
            .chunks(g.in_len())
            .zip(gout.chunks(g.out_len()))
            .enumerate()
        {
            pad_into(g, xi, hp, wq, xp, i == 0);
            for (r, src) in gi.chunks(g.ow).enumerate() {
                copy_short(&mut gp[r * owr..][..g.ow], src);
            }
            for (d, plane) in db.iter_mut().zip(gi.chunks(g.p())) {
                *d += lane_sum(plane);
            }
            let a = WArgs {
                g,
                xp,
                hp,
                wq,
                gp,
                owr,
            };
            wgrad_image(isa, &a, dw);
        }
    });
}

/// `weight_grad` with 16 lanes: the output gradient is laid out with the
/// padded input's row stride `wq`, so that `dW[o][c][ki][kj] = Σ_q g[o][q] ·
/// x[c][q + ki·wq + kj]` is one contiguous correlation over `q` (the columns
/// `ow..wq` of every gradient row are zero). Images go in groups of fixed
/// size (a few, so that a group's copies stay in L1/L2): the kernel sums
/// the correlations of a whole group in vector lanes and reduces across
/// lanes once per group, not once per image.
#[cfg(target_arch = "x86_64")]
fn weight_grad_flat(g: &Geom, x: &[f32], gout: &[f32], dw: &mut [f32], db: &mut [f32]) {
    let (hp, wq) = (g.h + 2 * g.pad, g.w + 2 * g.pad);
    let qlen = (g.oh * wq).next_multiple_of(16);
    let xs = (hp * wq).max(qlen + (g.kh - 1) * wq + g.kw - 1);
    let (ximg, gimg) = (g.c * xs, g.oc * qlen);
    let group = (WGRAD_GROUP_FLOATS / (ximg + gimg).max(1)).clamp(1, WGRAD_GROUP_MAX);
    with_scratch(|s| {
        for (xc, gc) in x
            .chunks(group * g.in_len())
            .zip(gout.chunks(group * g.out_len()))
        {
            let n = xc.len() / g.in_len();
            let xp = grow(&mut s.a, n * ximg);
            let gq = grow(&mut s.b, n * gimg);
            xp.fill(0.0);
            gq.fill(0.0);
            for (i, (xi, gi)) in xc
                .chunks(g.in_len())
                .zip(gc.chunks(g.out_len()))
                .enumerate()
            {
                for ci in 0..g.c {
                    for y in 0..g.h {
                        copy_short(
                            &mut xp[i * ximg + ci * xs + (y + g.pad) * wq + g.pad..][..g.w],
                            &xi[(ci * g.h + y) * g.w..][..g.w],
                        );
                    }
                }
                for o in 0..g.oc {
                    for oy in 0..g.oh {
                        copy_short(
                            &mut gq[i * gimg + o * qlen + oy * wq..][..g.ow],
                            &gi[(o * g.oh + oy) * g.ow..][..g.ow],
                        );
                    }
                }
                for (d, plane) in db.iter_mut().zip(gi.chunks(g.p())) {
                    *d += lane_sum(plane);
                }
            }
            let a = FlatArgs {
                g,
                n,
                xp,
                xs,
                wq,
                gq,
                qlen,
            };
            // SAFETY: only called when `isa_of` (of this CPU's features) found AVX-512F, AVX2 and FMA.
            unsafe { avx512::wgrad_flat(&a, dw) };
        }
    });
}

/// Target size (floats) of one image group's copies in `weight_grad_flat`.
#[cfg(target_arch = "x86_64")]
const WGRAD_GROUP_FLOATS: usize = 16_384;

/// Most images per group in `weight_grad_flat`.
#[cfg(target_arch = "x86_64")]
const WGRAD_GROUP_MAX: usize = 8;

/// Inputs of the 16-lane weight-gradient kernel for a group of images.
#[cfg(target_arch = "x86_64")]
struct FlatArgs<'a> {
    g: &'a Geom,
    /// Images in the group.
    n: usize,
    /// Zero-padded image planes `[n, c, xs]` with row stride `wq`.
    xp: &'a [f32],
    xs: usize,
    wq: usize,
    /// Output gradients `[n, oc, qlen]`, row stride `wq`, zero elsewhere.
    gq: &'a [f32],
    qlen: usize,
}

/// Inputs of the forward kernel for one image.
struct Args<'a> {
    g: &'a Geom,
    /// The (padded) image `[c, hp, wp]`.
    xp: &'a [f32],
    hp: usize,
    wp: usize,
    /// Weights `[c·kh·kw, oc]`.
    wt: &'a [f32],
    bias: Option<&'a [f32]>,
}

fn fwd_image(isa: Isa, a: &Args<'_>, out: &mut [f32]) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa_of` (of this CPU's features) found AVX2 and FMA on this CPU.
        Isa::Avx2 => unsafe { avx2::fwd_image(a, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa_of` (of this CPU's features) found AVX-512F, AVX2 and FMA on this CPU.
        Isa::Avx512 => unsafe {
            if !avx512::fwd_image(a, out) {
                avx2::fwd_image(a, out);
            }
        },
        Isa::Plain => portable::fwd_image::<false>(a, out),
    }
}

/// Tiles of `t` output columns: `0, t, 2t, …` and, when `t` does not divide
/// the width, one last tile ending at the right edge (overlapping the
/// previous one; overlapped outputs are computed identically twice).
#[inline(always)]
fn tile_starts(ow: usize, t: usize) -> impl Iterator<Item = usize> {
    // Callers route outputs narrower than a tile to other code; the kernels'
    // bound checks rely on `ox + t ≤ ow` for every start.
    assert!(
        ow >= t,
        "tile_starts: output width {ow} below the tile width {t}"
    );
    let full = ow / t;
    let last = (!ow.is_multiple_of(t)).then(|| ow - t);
    (0..full).map(move |i| i * t).chain(last)
}

/// Inputs of the weight-gradient kernel for one image.
struct WArgs<'a> {
    g: &'a Geom,
    /// The zero-padded image `[c, hp, wq]`, `wq ≥ owr + kw − 1`.
    xp: &'a [f32],
    hp: usize,
    wq: usize,
    /// The output gradient `[oc, oh, owr]`, zero beyond column `ow`.
    gp: &'a [f32],
    /// `ow` rounded up to a multiple of 8.
    owr: usize,
}

fn wgrad_image(isa: Isa, a: &WArgs<'_>, dw: &mut [f32]) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa_of` (of this CPU's features) found AVX2 and FMA on this CPU.
        Isa::Avx2 => unsafe { avx2::wgrad_image(a, dw) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa_of` (of this CPU's features) found AVX-512F, AVX2 and FMA on this CPU (the
        // 16-lane weight gradient takes its own layout, see `weight_grad_isa`).
        Isa::Avx512 => unsafe { avx2::wgrad_image(a, dw) },
        Isa::Plain => portable::wgrad_image::<false>(a, dw),
    }
}
