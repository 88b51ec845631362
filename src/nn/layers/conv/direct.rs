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

use super::Geom;
use crate::nn::buf::{grow, with_scratch};

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

/// The instruction set the kernels are compiled for at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Isa {
    Plain,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

fn isa() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            if std::is_x86_feature_detected!("avx512f") {
                return Isa::Avx512;
            }
            return Isa::Avx2;
        }
    }
    Isa::Plain
}

/// `a·b + c`, fused when the target has FMA (a call to `fmaf` otherwise).
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { c + a * b }
}

/// The sum of `v` in 16 interleaved partial sums (element `i` into partial
/// `i mod 16`), combined pairwise at the end: a fixed order (the same result
/// on every run and thread count) that the compiler turns into vector adds,
/// instead of one serial chain of scalar additions.
fn lane_sum(v: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let mut chunks = v.chunks_exact(16);
    for c in &mut chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    for (a, x) in acc.iter_mut().zip(chunks.remainder()) {
        *a += x;
    }
    let mut w = 16;
    while w > 1 {
        w /= 2;
        for i in 0..w {
            acc[i] += acc[i + w];
        }
    }
    acc[0]
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
                // SAFETY: `isa()` detected AVX-512F, AVX2 and FMA on this CPU.
                Isa::Avx512 => unsafe { avx512::igrad_image(&a, gi) },
                // SAFETY: `isa()` detected AVX2 and FMA on this CPU.
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
            // SAFETY: only called when `isa()` detected AVX-512F, AVX2 and FMA.
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
        // SAFETY: `isa()` detected AVX2 and FMA on this CPU.
        Isa::Avx2 => unsafe { avx2::fwd_image(a, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa()` detected AVX-512F, AVX2 and FMA on this CPU.
        Isa::Avx512 => unsafe {
            if !avx512::fwd_image(a, out) {
                avx2::fwd_image(a, out);
            }
        },
        Isa::Plain => fwd_image_impl::<false>(a, out),
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

#[inline(always)]
fn fwd_image_impl<const FMA: bool>(a: &Args<'_>, out: &mut [f32]) {
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
        // SAFETY: `isa()` detected AVX2 and FMA on this CPU.
        Isa::Avx2 => unsafe { avx2::wgrad_image(a, dw) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa()` detected AVX-512F, AVX2 and FMA on this CPU (the
        // 16-lane weight gradient takes its own layout, see `weight_grad_isa`).
        Isa::Avx512 => unsafe { avx2::wgrad_image(a, dw) },
        Isa::Plain => wgrad_image_impl::<false>(a, dw),
    }
}

#[inline(always)]
fn wgrad_image_impl<const FMA: bool>(a: &WArgs<'_>, dw: &mut [f32]) {
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

/// The kernels with explicit AVX2 + FMA vectors (8 lanes of `f32`).
///
/// Every kernel checks up front that the highest index it reads or writes is
/// inside its slices, then walks them with unchecked pointer arithmetic.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_add_ps, _mm256_broadcast_ss, _mm256_cmpgt_epi32, _mm256_fmadd_ps,
        _mm256_loadu_ps, _mm256_maskstore_ps, _mm256_set1_epi32, _mm256_set1_ps, _mm256_setr_epi32,
        _mm256_setzero_ps, _mm256_storeu_ps,
    };

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
        let iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        for y0 in (0..g.h).step_by(IG_ROWS) {
            let rn = (g.h - y0).min(IG_ROWS);
            for x0 in (0..g.w).step_by(8) {
                // Lanes below the number of columns left (≤ 8, so it fits i32).
                let left = (g.w - x0).min(8) as i32;
                let mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(left), iota);
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
                            let xv =
                                unsafe { _mm256_loadu_ps(gq.add(row as usize * a.wq + x0 + kj)) };
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

    /// Forward pass of one image (same tilings as `fwd_image_impl`).
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
    fn blocks<const TV: usize, const MAX: usize>(
        a: &Args<'_>,
        oy: usize,
        ox: usize,
        out: &mut [f32],
    ) {
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

    /// Weight gradient of one image (same blocking as `wgrad_image_impl`).
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
}

/// The kernels with AVX-512 vectors (16 lanes of `f32`); geometries they do
/// not cover fall back to the AVX2 kernels.
#[cfg(target_arch = "x86_64")]
mod avx512 {
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
        assert!(
            ((g.c - 1) * a.hp + oy + R - 1 + g.kh - 1) * a.wp + ox + g.kw - 1 + 16 <= a.xp.len()
        );
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
                            let xv =
                                unsafe { _mm512_loadu_ps(gq.add(row as usize * a.wq + x0 + kj)) };
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
}

#[cfg(test)]
mod tests {
    use super::super::{Geom, col2im, gemm_forward_chunk as conv_forward_gemm, im2col};
    use super::*;
    use crate::nn::layers::chunking;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rayon::prelude::*;

    /// Images per parallel task of the whole-batch wrappers the tests use.
    const FWD_CHUNK: usize = 2;

    /// Forward pass of a whole batch (`x` NCHW images, `w` `[oc, c, kh, kw]`,
    /// `out` NCHW outputs, overwritten), fixed chunks in parallel.
    fn forward_isa(
        isa: Isa,
        g: &Geom,
        x: &[f32],
        w: &[f32],
        bias: Option<&[f32]>,
        out: &mut [f32],
    ) {
        assert!(
            forward_applies(g),
            "direct convolution: unsupported geometry"
        );
        let n = x.len() / g.in_len().max(1);
        if n == 0 || g.out_len() == 0 {
            return;
        }
        let wt = forward_prepare(g, w);
        let (len, _) = chunking(n, FWD_CHUNK);
        out.par_chunks_mut(len * g.out_len())
            .zip(x.par_chunks(len * g.in_len()))
            .for_each(|(o, xc)| forward_images_isa(isa, g, xc, &wt, bias, o));
    }

    /// Input gradient `gin` (NCHW, overwritten) from the output gradient `gout`
    /// and the weights `w` `[oc, c, k, k]`, images split into fixed parallel
    /// chunks (see [`input_grad_images`]).
    ///
    /// # Panics
    /// If `!input_grad_applies(g)` (an internal invariant).
    pub(super) fn input_grad(g: &Geom, gout: &[f32], w: &[f32], gin: &mut [f32]) {
        input_grad_chunks(g, gout, w, gin, input_grad_images);
    }

    /// [`input_grad`] with the kernels of `isa`.
    fn input_grad_isa(isa: Isa, g: &Geom, gout: &[f32], w: &[f32], gin: &mut [f32]) {
        input_grad_chunks(g, gout, w, gin, |g, p, go, gi| {
            input_grad_images_isa(isa, g, p, go, gi);
        });
    }

    /// Prepares the weights, then runs `images` on fixed chunks of
    /// `FWD_CHUNK` images in parallel.
    fn input_grad_chunks(
        g: &Geom,
        gout: &[f32],
        w: &[f32],
        gin: &mut [f32],
        images: impl Fn(&Geom, &[f32], &[f32], &mut [f32]) + Sync,
    ) {
        let prepared = input_grad_prepare(g, w);
        if g.out_len() == 0 {
            images(g, &prepared, gout, gin);
            return;
        }
        let n = gout.len() / g.out_len();
        if n == 0 || g.in_len() == 0 {
            return;
        }
        let (len, _) = chunking(n, FWD_CHUNK);
        gin.par_chunks_mut(len * g.in_len())
            .zip(gout.par_chunks(len * g.out_len()))
            .for_each(|(gi, gc)| images(g, &prepared, gc, gi));
    }

    fn geom(c: usize, h: usize, w: usize, oc: usize, kh: usize, kw: usize, pad: usize) -> Geom {
        Geom {
            c,
            h,
            w,
            oc,
            kh,
            kw,
            stride: 1,
            pad,
            oh: h + 2 * pad - kh + 1,
            ow: w + 2 * pad - kw + 1,
        }
    }

    /// Every kernel set this CPU runs: the portable one and, where
    /// detected, the AVX2 and AVX-512 ones.
    fn isas() -> Vec<Isa> {
        let mut v = vec![Isa::Plain];
        #[cfg(target_arch = "x86_64")]
        {
            if isa() != Isa::Plain {
                v.push(Isa::Avx2);
            }
            if isa() == Isa::Avx512 {
                v.push(Isa::Avx512);
            }
        }
        v
    }

    fn random(n: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
        (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
    }

    fn assert_close(got: &[f32], want: &[f32], tol: f32, what: &str) {
        assert_eq!(got.len(), want.len(), "{what}: length");
        for (i, (a, e)) in got.iter().zip(want).enumerate() {
            assert!(
                (a - e).abs() <= tol * (1.0 + e.abs()),
                "{what} element {i}: direct {a}, reference {e}"
            );
        }
    }

    /// (c, h, w, oc, kh, kw, pad): LeNet's layers (forward and their
    /// transposed input-gradient shapes), widths 8..=22 for every column
    /// tiling (16, 8, overlapping last tile), channel counts 1..=17 for every
    /// block size and both channel-vectorised widths (8, 16), and 1×1 /
    /// rectangular kernels.
    const CASES: [(usize, usize, usize, usize, usize, usize, usize); 12] = [
        (3, 32, 32, 6, 5, 5, 0),
        (1, 28, 28, 6, 5, 5, 2),
        (6, 14, 14, 16, 5, 5, 0),
        (16, 10, 10, 6, 5, 5, 4),
        (2, 9, 12, 17, 3, 4, 1),
        (4, 10, 19, 7, 3, 3, 0),
        (1, 8, 8, 1, 1, 1, 0),
        (5, 12, 22, 13, 2, 3, 2),
        (3, 12, 13, 8, 3, 3, 1),
        (2, 11, 16, 24, 3, 3, 0),
        (1, 8, 8, 16, 3, 3, 1),
        (2, 9, 14, 32, 7, 7, 3),
    ];

    #[test]
    fn forward_matches_im2col_gemm() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for (c, h, w, oc, kh, kw, pad) in CASES {
            let g = geom(c, h, w, oc, kh, kw, pad);
            if !forward_applies(&g) {
                continue;
            }
            for n in [1, 3, 5] {
                let x = random(n * g.in_len(), &mut rng);
                let wgt = random(oc * g.k(), &mut rng);
                let b = random(oc, &mut rng);
                let mut want = vec![f32::NAN; n * g.out_len()];
                conv_forward_gemm(&g, &x, &wgt, Some(&b), &mut want);
                for isa in isas() {
                    let what = format!("forward {isa:?} {:?} n={n}", (c, h, w, oc, kh, kw, pad));
                    let mut got = vec![f32::NAN; n * g.out_len()];
                    forward_isa(isa, &g, &x, &wgt, Some(&b), &mut got);
                    assert_close(&got, &want, 1e-5, &what);
                    let mut want_nb = vec![f32::NAN; n * g.out_len()];
                    conv_forward_gemm(&g, &x, &wgt, None, &mut want_nb);
                    forward_isa(isa, &g, &x, &wgt, None, &mut got);
                    assert_close(&got, &want_nb, 1e-5, &format!("{what} without bias"));
                }
            }
        }
    }

    /// The gradients of the im2col formulation: `dW = dY·colsᵀ`,
    /// `dX = col2im(Wᵀ·dY)`, `db = Σ dY`, with plain loops.
    fn reference_grads(
        g: &Geom,
        x: &[f32],
        w: &[f32],
        gout: &[f32],
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let n = x.len() / g.in_len();
        let (k, p) = (g.k(), g.p());
        let np = n * p;
        let mut cols = vec![0.0; k * np];
        im2col(g, x, n, &mut cols);
        let mut dy = vec![0.0f32; g.oc * np];
        for oc in 0..g.oc {
            for i in 0..n {
                dy[oc * np + i * p..][..p].copy_from_slice(&gout[(i * g.oc + oc) * p..][..p]);
            }
        }
        let mut dw = vec![0.0f32; g.oc * k];
        for oc in 0..g.oc {
            for r in 0..k {
                let mut s = 0.0f64;
                for j in 0..np {
                    s += f64::from(dy[oc * np + j]) * f64::from(cols[r * np + j]);
                }
                dw[oc * k + r] = s as f32;
            }
        }
        let db = (0..g.oc)
            .map(|oc| {
                dy[oc * np..(oc + 1) * np]
                    .iter()
                    .map(|&v| f64::from(v))
                    .sum::<f64>() as f32
            })
            .collect();
        let mut dcols = vec![0.0f32; k * np];
        for r in 0..k {
            for j in 0..np {
                let mut s = 0.0f64;
                for oc in 0..g.oc {
                    s += f64::from(w[oc * k + r]) * f64::from(dy[oc * np + j]);
                }
                dcols[r * np + j] = s as f32;
            }
        }
        let mut dx = vec![0.0f32; n * g.in_len()];
        col2im(g, &dcols, n, &mut dx);
        (dw, db, dx)
    }

    #[test]
    fn gradients_match_im2col_reference() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for (c, h, w, oc, kh, kw, pad) in CASES {
            let g = geom(c, h, w, oc, kh, kw, pad);
            // 9 images: several weight-gradient image groups and a partial one.
            for n in [1, 3, 9] {
                let x = random(n * g.in_len(), &mut rng);
                let wgt = random(oc * g.k(), &mut rng);
                let gout = random(n * g.out_len(), &mut rng);
                let (dw_ref, db_ref, dx_ref) = reference_grads(&g, &x, &wgt, &gout);
                for isa in isas() {
                    let what = format!("{isa:?} {:?} n={n}", (c, h, w, oc, kh, kw, pad));
                    if weight_grad_applies(&g) {
                        let mut dw = vec![0.0; oc * g.k()];
                        let mut db = vec![0.0; oc];
                        weight_grad_isa(isa, &g, &x, &gout, &mut dw, &mut db);
                        assert_close(&dw, &dw_ref, 1e-4, &format!("dW {what}"));
                        assert_close(&db, &db_ref, 1e-4, &format!("db {what}"));
                    }
                    if input_grad_applies(&g) {
                        let mut dx = vec![f32::NAN; n * g.in_len()];
                        input_grad_isa(isa, &g, &gout, &wgt, &mut dx);
                        assert_close(&dx, &dx_ref, 1e-4, &format!("dX {what}"));
                    }
                }
            }
        }
    }

    /// The input gradient against the im2col reference over every input
    /// width 8..=20 (one masked 16-lane tile, a full one, a full one plus a
    /// masked one), every padding `0..k` of square kernels up to 9 wide,
    /// heights leaving 1..=4 rows in the last row tile, 1..=16 input
    /// channels (1–3 channel blocks) and LeNet's conv2.
    #[test]
    fn input_grad_matches_reference_over_widths_and_paddings() {
        let mut rng = ChaCha8Rng::seed_from_u64(23);
        let mut shapes = vec![(6, 14, 14, 16, 5, 5, 0), (6, 14, 14, 16, 5, 5, 2)];
        for w in 8..=20 {
            for k in [1, 2, 3, 5, 9] {
                for pad in 0..k {
                    let c = [1, 2, 5, 6, 7, 13, 16][(w + pad) % 7];
                    let oc = 1 + (w + k) % 6;
                    let h = (k + w % 4 + 2).saturating_sub(2 * pad).max(1);
                    shapes.push((c, h, w, oc, k, k, pad));
                }
            }
        }
        // No output row at all: the gradient is zero.
        shapes.push((2, 3, 9, 3, 5, 5, 0));
        for (c, h, w, oc, kh, kw, pad) in shapes {
            // (Inputs smaller than the kernel have no output.)
            let g = Geom {
                c,
                h,
                w,
                oc,
                kh,
                kw,
                stride: 1,
                pad,
                oh: (h + 2 * pad + 1).saturating_sub(kh),
                ow: (w + 2 * pad + 1).saturating_sub(kw),
            };
            assert!(input_grad_applies(&g));
            let n = 2;
            let x = random(n * g.in_len(), &mut rng);
            let wgt = random(oc * g.k(), &mut rng);
            let gout = random(n * g.out_len(), &mut rng);
            let dx_ref = if g.out_len() == 0 {
                vec![0.0; n * g.in_len()]
            } else {
                reference_grads(&g, &x, &wgt, &gout).2
            };
            for isa in isas() {
                let mut dx = vec![f32::NAN; n * g.in_len()];
                input_grad_isa(isa, &g, &gout, &wgt, &mut dx);
                let what = format!("dX {isa:?} {:?}", (c, h, w, oc, kh, kw, pad));
                assert_close(&dx, &dx_ref, 1e-4, &what);
            }
        }
    }

    /// `input_grad_images` over any split of a batch gives the bits of the
    /// parallel `input_grad`, on every kernel set.
    #[test]
    fn input_grad_images_equals_input_grad_bit_for_bit() {
        let mut rng = ChaCha8Rng::seed_from_u64(29);
        for (c, h, w, oc, k, pad) in [(6, 14, 14, 16, 5, 0), (3, 9, 19, 7, 3, 1)] {
            let g = geom(c, h, w, oc, k, k, pad);
            let n = 7;
            let wgt = random(oc * g.k(), &mut rng);
            let gout = random(n * g.out_len(), &mut rng);
            let prepared = input_grad_prepare(&g, &wgt);
            let mut runs: Vec<(Isa, Vec<f32>)> = Vec::new();
            let mut whole = vec![f32::NAN; n * g.in_len()];
            input_grad(&g, &gout, &wgt, &mut whole);
            let mut serial = vec![f32::NAN; n * g.in_len()];
            input_grad_images(&g, &prepared, &gout, &mut serial);
            runs.push((isa(), serial));
            for isa in isas() {
                let mut par = vec![f32::NAN; n * g.in_len()];
                input_grad_isa(isa, &g, &gout, &wgt, &mut par);
                let mut split = vec![f32::NAN; n * g.in_len()];
                let (s0, s1) = split.split_at_mut(3 * g.in_len());
                let (g0, g1) = gout.split_at(3 * g.out_len());
                input_grad_images_isa(isa, &g, &prepared, g1, s1);
                input_grad_images_isa(isa, &g, &prepared, g0, s0);
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&split), bits(&par), "{isa:?} {:?}", (c, w, k, pad));
                if isa == super::isa() {
                    assert_eq!(bits(&par), bits(&whole), "{isa:?} {:?}", (c, w, k, pad));
                }
                runs.push((isa, par));
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&runs[0].1),
                bits(&whole),
                "serial {:?}",
                (c, w, k, pad)
            );
            assert!(whole.iter().all(|v| v.is_finite() && *v != 0.0));
        }
    }

    #[test]
    fn applicability_covers_lenet_and_rejects_the_rest() {
        let lenet = [
            geom(3, 32, 32, 6, 5, 5, 0),
            geom(1, 28, 28, 6, 5, 5, 2),
            geom(6, 14, 14, 16, 5, 5, 0),
        ];
        for g in &lenet {
            assert!(forward_applies(g) && weight_grad_applies(g) && input_grad_applies(g));
        }
        let mut strided = geom(3, 32, 32, 6, 5, 5, 0);
        strided.stride = 2;
        assert!(
            !forward_applies(&strided)
                && !weight_grad_applies(&strided)
                && !input_grad_applies(&strided)
        );
        // Narrow outputs and padding ≥ kernel go through im2col + GEMM.
        assert!(!forward_applies(&geom(1, 6, 6, 2, 3, 3, 0)));
        assert!(!input_grad_applies(&geom(1, 8, 8, 2, 2, 2, 2)));
        assert!(!input_grad_applies(&geom(1, 8, 8, 2, 3, 5, 1)));
        assert!(!weight_grad_applies(&geom(1, 12, 12, 2, 9, 9, 0)));
    }
}
