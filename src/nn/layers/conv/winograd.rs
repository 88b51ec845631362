//! Winograd F(2×2, 3×3) kernels for stride-1 3×3 convolutions with many
//! channels (Lavin & Gray, "Fast Algorithms for Convolutional Neural
//! Networks", 2016).
//!
//! Each 2×2 block of outputs is computed from the 4×4 input tile around it
//! as `Aᵀ·[(G·g·Gᵀ) ⊙ (Bᵀ·d·B)]·A`: 16 multiplications per (input channel,
//! output channel, tile) instead of 36. Summed over the input channels, the
//! element-wise products become 16 independent GEMMs — one per position of
//! the 4×4 transformed tile — of the transformed weights `U[p]` `[oc, c]`
//! by the transformed input tiles `V[p]` `[c, tiles]`. The multiply-adds
//! therefore run in register-tiled GEMM kernels ([`gemm`]), on 2.25× fewer
//! operations than the direct kernels or im2col.
//!
//! The three passes of a training step share the transforms:
//! - forward: `M[p] = U[p]·V[p]`, then `Y = Aᵀ·M·A` per tile;
//! - input gradient: the same algorithm on the output gradient with the
//!   flipped kernel and swapped channel axes (padding `2 − pad`);
//! - weight gradient: by the transposition principle the same identity
//!   gives `dW = Gᵀ·[Σ_tiles (A·dY·Aᵀ) ⊙ (Bᵀ·d·B)]·G`, and the sum over tiles
//!   of the products is again 16 GEMMs, `Z[p] += dY′[p]·V[p]ᵀ`, transformed
//!   back once per chunk.
//!
//! The transforms are additions only (and halvings of the weights), and run
//! over whole planes rather than tile by tile: each padded input row is
//! gathered into four arrays holding every tile's columns 0–3, with the
//! even rows stored before the odd ones, so that both passes of `Bᵀ·d·B`
//! (and of the output and gradient transforms) are loops over contiguous
//! slices of a whole image's tiles. They are compiled for SSE2, AVX2 and
//! AVX-512F and dispatched at run time, with the same bits on each (on
//! AVX-512F the gather of the input rows, the output transform and the
//! gradient transform run sixteen tiles of a row at a time in registers,
//! with permutes and masked loads and stores instead of strided scalar
//! copies: the same additions in the same order); the
//! GEMMs give the same bits on AVX2 and AVX-512 CPUs (without AVX2 they run
//! in the general GEMM, whose sums are ordered differently).
//! F(2×2, 3×3)'s rounding error stays at the level of the direct sum's (the
//! matrices hold only 0, ±½ and ±1); larger tiles (F(4×4, 3×3)) would cut
//! the arithmetic further but amplify rounding by their interpolation
//! points.
//!
//! Images are processed in blocks of whole images of about [`BLOCK_TILES`]
//! tiles, on the calling thread; callers split batches into fixed chunks, so
//! results do not depend on the thread count.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{
    __m512, __m512i, __mmask16, _mm512_add_ps, _mm512_castps_si512, _mm512_castsi512_ps,
    _mm512_mask_storeu_ps, _mm512_maskz_loadu_ps, _mm512_permutex2var_ps, _mm512_set1_epi32,
    _mm512_set1_ps, _mm512_setr_epi32, _mm512_setzero_ps, _mm512_sub_ps, _mm512_xor_si512,
};

use super::{Geom, Isa, isa, lane_sum};
use crate::nn::buf::{Scratch, grow, with_scratch};
use crate::nn::layers::gemm;

/// Positions of a transformed 4×4 tile.
const POS: usize = 16;

/// Tiles per GEMM block: the transformed inputs and outputs of a block stay
/// within a core's L2 cache for the smaller layers, and the GEMMs get a wide
/// enough `N`.
const BLOCK_TILES: usize = 256;

/// Least input and output channel count: below it the GEMMs are too small
/// to pay for the transforms (measured on a batch of 64: 16→16 channels at
/// 32×32 gain 20 % forward and 15 % backward over the direct kernels; 8→8,
/// 8→16 and 16→8 lose up to 50 % backward).
const MIN_CHANNELS: usize = 16;

/// Whether these kernels handle this geometry: stride 1, a 3×3 kernel,
/// padding at most 2 (so that the input gradient, padded by `2 − pad`, is
/// one too) and at least [`MIN_CHANNELS`] channels on both sides.
pub(super) fn applies(g: &Geom) -> bool {
    g.stride == 1
        && g.kh == 3
        && g.kw == 3
        && g.pad <= 2
        && g.c >= MIN_CHANNELS
        && g.oc >= MIN_CHANNELS
        && g.oh > 0
        && g.ow > 0
}

/// Tiles along the height and width of the output.
fn tiles(g: &Geom) -> (usize, usize) {
    (g.oh.div_ceil(2), g.ow.div_ceil(2))
}

/// Tiles per image and images per block (whole images, about
/// [`BLOCK_TILES`] tiles).
fn blocking(g: &Geom) -> (usize, usize) {
    let (th, tw) = tiles(g);
    let tiles_img = th * tw;
    (tiles_img, (BLOCK_TILES / tiles_img.max(1)).max(1))
}

/// `Bᵀ·d·B` of the tiles of one block of images `xb` (`[nb, c, h, w]`) into
/// `V` (`[16][c][nb·tiles]`, in `buf`); returns `V` and its row length.
fn input_block<'a>(
    isa: Isa,
    g: &Geom,
    xb: &[f32],
    buf: &'a mut Vec<f32>,
    work: &mut Vec<f32>,
) -> (&'a mut [f32], usize) {
    let (tiles_img, _) = blocking(g);
    let ld = xb.len() / g.in_len() * tiles_img;
    let v = grow(buf, POS * g.c * ld);
    for (i, xi) in xb.chunks(g.in_len()).enumerate() {
        dispatch(
            isa,
            InputPass {
                g,
                x: xi,
                v: &mut *v,
                ld,
                col0: i * tiles_img,
                work: &mut *work,
                wide: isa == Isa::Avx512,
            },
        );
    }
    (v, ld)
}

/// `G·k·Gᵀ` of one 3×3 kernel (row-major), as 16 values in tile order.
fn weight_tile(k: &[f32]) -> [f32; POS] {
    // G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]
    let g3 = |a: f32, b: f32, c: f32| [a, 0.5 * (a + b + c), 0.5 * (a - b + c), c];
    let rows = [
        g3(k[0], k[1], k[2]),
        g3(k[3], k[4], k[5]),
        g3(k[6], k[7], k[8]),
    ];
    let mut t = [0.0; POS];
    for j in 0..4 {
        let col = g3(rows[0][j], rows[1][j], rows[2][j]);
        for i in 0..4 {
            t[i * 4 + j] = col[i];
        }
    }
    t
}

/// The transformed weights of the forward pass, `U[p][oc][c]`, from `w`
/// `[oc, c, 3, 3]`.
pub(super) fn forward_prepare(g: &Geom, w: &[f32]) -> Vec<f32> {
    let mut u = vec![0.0f32; POS * g.oc * g.c];
    for o in 0..g.oc {
        for c in 0..g.c {
            let t = weight_tile(&w[(o * g.c + c) * 9..][..9]);
            for (p, v) in t.into_iter().enumerate() {
                u[(p * g.oc + o) * g.c + c] = v;
            }
        }
    }
    u
}

/// The geometry of the input gradient as a forward convolution: the output
/// gradient `[oc, oh, ow]` in, the input gradient `[c, h, w]` out, padding
/// `2 − pad`.
pub(super) fn input_grad_geom(g: &Geom) -> Geom {
    Geom {
        c: g.oc,
        h: g.oh,
        w: g.ow,
        oc: g.c,
        kh: 3,
        kw: 3,
        stride: 1,
        pad: 2 - g.pad,
        oh: g.h,
        ow: g.w,
    }
}

/// The transformed weights of the input gradient: those of the flipped
/// kernel with the channel axes swapped, `U′[p][c][oc]`.
pub(super) fn input_grad_prepare(g: &Geom, w: &[f32]) -> Vec<f32> {
    let mut u = vec![0.0f32; POS * g.oc * g.c];
    for o in 0..g.oc {
        for c in 0..g.c {
            let k = &w[(o * g.c + c) * 9..][..9];
            let mut flipped = [0.0f32; 9];
            for (f, v) in flipped.iter_mut().zip(k.iter().rev()) {
                *f = *v;
            }
            for (p, v) in weight_tile(&flipped).into_iter().enumerate() {
                u[(p * g.c + c) * g.oc + o] = v;
            }
        }
    }
    u
}

/// The input gradient of the images whose output gradients are `gout`,
/// into `gin` (overwritten), with weights from [`input_grad_prepare`].
pub(super) fn input_grad_images(g: &Geom, u: &[f32], gout: &[f32], gin: &mut [f32]) {
    forward_images(&input_grad_geom(g), u, None, gout, gin);
}

/// One transform of one image, run by [`dispatch`] in each compilation.
trait Pass {
    fn run(self);
}

/// Runs `pass` compiled for `isa`: the same Rust code compiled for SSE2 (the
/// target's baseline), AVX2 or AVX-512F. The transforms only add, subtract
/// and negate (Rust does not contract into FMA), so every compilation gives
/// the same bits (tested).
fn dispatch<P: Pass>(isa: Isa, pass: P) {
    match isa {
        Isa::Plain => pass.run(),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa` comes from `isa_of` of this CPU's features (`isa()`,
        // or `isas()` in tests), which found AVX2 (and FMA): the only
        // requirement of `run_avx2`.
        Isa::Avx2 => unsafe { run_avx2(pass) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above; `isa_of` found AVX-512F, the only requirement of
        // `run_avx512`.
        Isa::Avx512 => unsafe { run_avx512(pass) },
    }
}

/// [`Pass::run`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn run_avx2<P: Pass>(pass: P) {
    pass.run()
}

/// [`Pass::run`] compiled for AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn run_avx512<P: Pass>(pass: P) {
    pass.run()
}

/// [`input_transform_impl`]'s arguments.
struct InputPass<'a> {
    g: &'a Geom,
    x: &'a [f32],
    v: &'a mut [f32],
    ld: usize,
    col0: usize,
    work: &'a mut Vec<f32>,
    /// Run on AVX-512F: the rows are gathered by [`row_db_avx512`].
    wide: bool,
}

impl Pass for InputPass<'_> {
    #[inline(always)]
    fn run(self) {
        input_transform_impl(
            self.g, self.x, self.v, self.ld, self.col0, self.work, self.wide,
        )
    }
}

/// [`output_transform_impl`]'s arguments.
struct OutputPass<'a> {
    g: &'a Geom,
    m: &'a [f32],
    ld: usize,
    col0: usize,
    bias: Option<&'a [f32]>,
    out: &'a mut [f32],
    work: &'a mut Vec<f32>,
    /// Run on AVX-512F: each channel by [`output_channel_avx512`].
    wide: bool,
}

impl Pass for OutputPass<'_> {
    #[inline(always)]
    fn run(self) {
        #[cfg(target_arch = "x86_64")]
        if self.wide {
            let g = self.g;
            for o in 0..g.oc {
                let b = self.bias.map_or(0.0, |b| b[o]);
                let op = &mut self.out[o * g.oh * g.ow..][..g.oh * g.ow];
                // SAFETY: `wide` is set only for `Isa::Avx512`, which
                // `isa_of` returns only on a CPU with AVX-512F.
                unsafe { output_channel_avx512(g, self.m, self.ld, self.col0, o, b, op) };
            }
            return;
        }
        output_transform_impl(
            self.g, self.m, self.ld, self.col0, self.bias, self.out, self.work,
        )
    }
}

/// [`grad_transform_impl`]'s arguments.
struct GradPass<'a> {
    g: &'a Geom,
    gy: &'a [f32],
    t: &'a mut [f32],
    ld: usize,
    col0: usize,
    work: &'a mut Vec<f32>,
    /// Run on AVX-512F: each channel by [`grad_channel_avx512`].
    wide: bool,
}

impl Pass for GradPass<'_> {
    #[inline(always)]
    fn run(self) {
        #[cfg(target_arch = "x86_64")]
        if self.wide {
            let g = self.g;
            let plane = g.oh * g.ow;
            for o in 0..g.oc {
                let gp = &self.gy[o * plane..][..plane];
                // SAFETY: `wide` is set only for `Isa::Avx512`, which
                // `isa_of` returns only on a CPU with AVX-512F.
                unsafe { grad_channel_avx512(g, gp, self.t, self.ld, self.col0, o) };
            }
            return;
        }
        grad_transform_impl(self.g, self.gy, self.t, self.ld, self.col0, self.work)
    }
}

/// `out[k] = a[k] + sb·b[k]` (`sb` = ±1: exact).
#[inline(always)]
fn lin2(out: &mut [f32], a: &[f32], b: &[f32], sb: f32) {
    let n = out.len();
    let (a, b) = (&a[..n], &b[..n]);
    for k in 0..n {
        out[k] = a[k] + sb * b[k];
    }
}

/// `out[k] = a[k] + sb·b[k] + sc·c[k] + add` (`sb`, `sc` = ±1: exact).
#[inline(always)]
fn lin3(out: &mut [f32], a: &[f32], b: &[f32], c: &[f32], sb: f32, sc: f32, add: f32) {
    let n = out.len();
    let (a, b, c) = (&a[..n], &b[..n], &c[..n]);
    for k in 0..n {
        out[k] = a[k] + sb * b[k] + sc * c[k] + add;
    }
}

/// `dst[k] = src[2k + off]`, zero where that index falls outside `src`.
#[inline(always)]
fn gather2(dst: &mut [f32], src: &[f32], off: isize) {
    let n = dst.len() as isize;
    let w = src.len() as isize;
    // 0 ≤ 2k + off < w  ⇔  k ∈ [lo, hi)
    let lo = ((-off).max(0) + 1) / 2;
    let hi = ((w - off + 1) / 2).clamp(lo.min(n), n);
    let (lo, hi) = (lo.min(n) as usize, hi as usize);
    dst[..lo].fill(0.0);
    dst[hi..].fill(0.0);
    let start = (2 * lo as isize + off) as usize;
    for (k, d) in dst[lo..hi].iter_mut().enumerate() {
        *d = src[start + 2 * k];
    }
}

/// `Bᵀ·d·B` of every tile of one image (`x`, `[c, h, w]`) into columns
/// `col0 .. col0 + tiles` of `v` (`[16][c][ld]`); `work` is scratch.
///
/// The padded input rows are gathered by parity (rows `2q` first, then
/// `2q + 1`) into four arrays holding each tile's columns 0–3 (`d[2k + s]`),
/// so that both passes of the transform run over whole planes: `d·B` row by
/// row, then `Bᵀ·(d·B)` over the rows `2ty + r`, which are contiguous in
/// `ty` within a parity.
///
/// With `wide` (AVX-512F) each row's gather and `d·B` are one step of
/// [`row_db_avx512`] instead.
#[inline(always)]
fn input_transform_impl(
    g: &Geom,
    x: &[f32],
    v: &mut [f32],
    ld: usize,
    col0: usize,
    work: &mut Vec<f32>,
    wide: bool,
) {
    let (th, tw) = tiles(g);
    let nq = th + 1;
    let len = 2 * nq * tw;
    let nt = th * tw;
    let wp = 2 * tw + 2;
    // The gathered rows: only the generic path stores them (the AVX-512
    // gather writes d·B directly).
    let gath_len = if wide { 0 } else { 4 * len };
    let work = grow(work, gath_len + 4 * len + 2 * wp);
    let (gath, rest) = work.split_at_mut(gath_len);
    let (hb, rest) = rest.split_at_mut(4 * len);
    let (prow, eo) = rest.split_at_mut(wp);
    let (ev, od) = eo.split_at_mut(wp / 2);
    let plane = g.h * g.w;
    // Input columns −pad .. wp − pad of a row: the part inside the image.
    let lo = g.pad.min(wp);
    let hi = (g.pad + g.w).min(wp);
    for ch in 0..g.c {
        let xp = &x[ch * plane..][..plane];
        for par in 0..2 {
            for q in 0..nq {
                let row = (par * nq + q) * tw;
                let iy = (2 * q + par) as isize - g.pad as isize;
                #[cfg(target_arch = "x86_64")]
                if wide {
                    if iy < 0 || iy >= g.h as isize {
                        for j in 0..4 {
                            hb[j * len + row..][..tw].fill(0.0);
                        }
                    } else {
                        let src = &xp[iy as usize * g.w..][..g.w];
                        // SAFETY: `wide` is set only for `Isa::Avx512`, which
                        // `isa_of` returns only on a CPU with AVX-512F.
                        unsafe { row_db_avx512(src, g.pad, tw, hb, len, row) };
                    }
                    continue;
                }
                if iy < 0 || iy >= g.h as isize {
                    for s in 0..4 {
                        gath[s * len + row..][..tw].fill(0.0);
                    }
                    continue;
                }
                let src = &xp[iy as usize * g.w..][..g.w];
                prow[..lo].fill(0.0);
                prow[lo..hi].copy_from_slice(&src[..hi - lo]);
                prow[hi..].fill(0.0);
                for ((pair, e), o) in prow.chunks_exact(2).zip(ev.iter_mut()).zip(od.iter_mut()) {
                    *e = pair[0];
                    *o = pair[1];
                }
                // Tile column k reads d[2k .. 2k + 4] = even k, odd k, even k + 1, odd k + 1.
                let (d0, rest) = gath[row..].split_at_mut(len);
                let (d1, rest) = rest.split_at_mut(len);
                let (d2, d3) = rest.split_at_mut(len);
                d0[..tw].copy_from_slice(&ev[..tw]);
                d1[..tw].copy_from_slice(&od[..tw]);
                d2[..tw].copy_from_slice(&ev[1..=tw]);
                d3[..tw].copy_from_slice(&od[1..=tw]);
            }
        }
        if !wide {
            // d·B: [d0 − d2, d1 + d2, d2 − d1, d1 − d3] per row. (Unrolled,
            // so that each sign is a constant: an addition or a
            // subtraction, not a multiplication.)
            let (d0, rest) = gath.split_at(len);
            let (d1, rest) = rest.split_at(len);
            let (d2, d3) = rest.split_at(len);
            let (h0, rest) = hb.split_at_mut(len);
            let (h1, rest) = rest.split_at_mut(len);
            let (h2, h3) = rest.split_at_mut(len);
            lin2(h0, d0, d2, -1.0);
            lin2(h1, d1, d2, 1.0);
            lin2(h2, d2, d1, -1.0);
            lin2(h3, d1, d3, -1.0);
        }
        // Bᵀ·(d·B) over the tile's rows r = 0..4: row 2ty + r is parity r % 2, q = ty + r / 2.
        for j in 0..4 {
            let h = &hb[j * len..][..len];
            let r = |r: usize| &h[((r % 2) * nq + r / 2) * tw..][..nt];
            let (r0, r1, r2, r3) = (r(0), r(1), r(2), r(3));
            let at = |i: usize| ((i * 4 + j) * g.c + ch) * ld + col0;
            lin2(&mut v[at(0)..][..nt], r0, r2, -1.0);
            lin2(&mut v[at(1)..][..nt], r1, r2, 1.0);
            lin2(&mut v[at(2)..][..nt], r2, r1, -1.0);
            lin2(&mut v[at(3)..][..nt], r1, r3, -1.0);
        }
    }
}

/// The first `n` lanes (at most 16) of a 512-bit vector.
#[cfg(target_arch = "x86_64")]
#[inline]
fn lanes16(n: usize) -> __mmask16 {
    // n.min(16) ≤ 16: the mask fits 16 bits.
    ((1u32 << n.min(16)) - 1) as __mmask16
}

/// The permutations taking the even and the odd lanes of two vectors
/// (`_mm512_permutex2var_ps(a, even, b)`: `[a0, a2, …, a14, b0, …, b14]`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn even_odd() -> (__m512i, __m512i) {
    (
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30),
        _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31),
    )
}

/// The padded row's elements `s .. s + 16` (`src` behind `pad` zeros,
/// zeros past its end).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn padded16(src: &[f32], pad: usize, s: usize) -> __m512 {
    // Lanes l with 0 ≤ s + l − pad < src.len().
    let lo = pad.saturating_sub(s).min(16);
    let hi = (pad + src.len()).saturating_sub(s).min(16);
    let mask = if lo < hi {
        // lo < hi ≤ 16: fits 16 bits.
        (((1u32 << hi) - 1) & !((1u32 << lo) - 1)) as __mmask16
    } else {
        0
    };
    // SAFETY: the set lanes l ∈ [lo, hi) read src[s + l − pad], inside
    // `src`; masked lanes are not read (the address is only computed,
    // with wrapping arithmetic).
    unsafe { _mm512_maskz_loadu_ps(mask, src.as_ptr().wrapping_add(s).wrapping_sub(pad)) }
}

/// The gather and `d·B` of one input row (`src`, padded by `pad` zeros on
/// the left and zeros past its end: `d`) for every tile column `k < tw`,
/// into `h_j[row + k]`, the four arrays of `hb` `len` apart:
/// `[d[2k] − d[2k+2], d[2k+1] + d[2k+2], d[2k+2] − d[2k+1], d[2k+1] − d[2k+3]]`.
/// Sixteen tile columns per step: masked loads of the padded row at `2k`
/// and `2k + 2`, even and odd lanes split by permutes. Each output is the
/// same single addition or subtraction as in the generic code (`lin2` with
/// a sign of ±1), so the bits are the same.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn row_db_avx512(src: &[f32], pad: usize, tw: usize, hb: &mut [f32], len: usize, row: usize) {
    assert!(
        tw <= len && row <= len - tw && hb.len() >= 4 * len,
        "winograd: row outside the transform buffer"
    );
    let (even, odd) = even_odd();
    let hp = hb.as_mut_ptr();
    let mut k0 = 0;
    while k0 < tw {
        let nk = (tw - k0).min(16);
        let keep = lanes16(nk);
        let s = 2 * k0;
        let (a, b) = (padded16(src, pad, s), padded16(src, pad, s + 16));
        let (c, d) = (padded16(src, pad, s + 2), padded16(src, pad, s + 18));
        let (ev, od) = (
            _mm512_permutex2var_ps(a, even, b),
            _mm512_permutex2var_ps(a, odd, b),
        );
        let (ev1, od1) = (
            _mm512_permutex2var_ps(c, even, d),
            _mm512_permutex2var_ps(c, odd, d),
        );
        let h = [
            _mm512_sub_ps(ev, ev1),
            _mm512_add_ps(od, ev1),
            _mm512_sub_ps(ev1, od),
            _mm512_sub_ps(od, od1),
        ];
        for (j, hv) in h.into_iter().enumerate() {
            // SAFETY: lanes below nk: j·len + row + k0 + nk ≤ j·len + row + tw
            // ≤ (j + 1)·len ≤ hb.len() (asserted above).
            unsafe { _mm512_mask_storeu_ps(hp.add(j * len + row + k0), keep, hv) };
        }
        k0 += 16;
    }
}

/// `Aᵀ·M·A` (+ bias) of every tile of one image from columns `col0 ..` of
/// `m` (`[16][oc][ld]`) into `out` (`[oc, oh, ow]`).
#[inline(always)]
fn output_transform_impl(
    g: &Geom,
    m: &[f32],
    ld: usize,
    col0: usize,
    bias: Option<&[f32]>,
    out: &mut [f32],
    work: &mut Vec<f32>,
) {
    let (th, tw) = tiles(g);
    let nt = th * tw;
    let work = grow(work, 12 * nt);
    let (s, y) = work.split_at_mut(8 * nt);
    let plane = g.oh * g.ow;
    for o in 0..g.oc {
        let b = bias.map_or(0.0, |b| b[o]);
        let mp = |p: usize| &m[(p * g.oc + o) * ld + col0..][..nt];
        // Rows i of M·A: s[i][0] = m_i0 + m_i1 + m_i2, s[i][1] = m_i1 − m_i2 − m_i3.
        for i in 0..4 {
            let (s0, s1) = s[2 * i * nt..][..2 * nt].split_at_mut(nt);
            lin3(s0, mp(4 * i), mp(4 * i + 1), mp(4 * i + 2), 1.0, 1.0, 0.0);
            lin3(
                s1,
                mp(4 * i + 1),
                mp(4 * i + 2),
                mp(4 * i + 3),
                -1.0,
                -1.0,
                0.0,
            );
        }
        // Then Aᵀ over i: y[0][j] = s0j + s1j + s2j, y[1][j] = s1j − s2j − s3j.
        let sv = |i: usize, j: usize| &s[(2 * i + j) * nt..][..nt];
        for j in 0..2 {
            let (y0, y1) = y[2 * j * nt..][..2 * nt].split_at_mut(nt);
            lin3(y0, sv(0, j), sv(1, j), sv(2, j), 1.0, 1.0, b);
            lin3(y1, sv(1, j), sv(2, j), sv(3, j), -1.0, -1.0, b);
        }
        // y holds [y00, y10, y01, y11] (row, column within the 2×2 block).
        let (y00, rest) = y.split_at(nt);
        let (y10, rest) = rest.split_at(nt);
        let (y01, y11) = rest.split_at(nt);
        let op = &mut out[o * plane..][..plane];
        for ty in 0..th {
            let t = ty * tw..(ty + 1) * tw;
            let oy = 2 * ty;
            write_row(
                &mut op[oy * g.ow..][..g.ow],
                &y00[t.clone()],
                &y01[t.clone()],
            );
            if oy + 1 < g.oh {
                write_row(&mut op[(oy + 1) * g.ow..][..g.ow], &y10[t.clone()], &y11[t]);
            }
        }
    }
}

/// [`output_transform_impl`] of output channel `o` (bias `b`) into its
/// plane `op` (`[oh, ow]`), with AVX-512F: sixteen tiles of a tile row per
/// step, `Aᵀ·M·A` in registers and the 2 × 2 blocks interleaved into the
/// two output rows by permutes. Each output is the same sequence of
/// additions and subtractions as in [`output_transform_impl`] (`lin3` with
/// signs of ±1, then `+ add`), so the bits are the same.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn output_channel_avx512(
    g: &Geom,
    m: &[f32],
    ld: usize,
    col0: usize,
    o: usize,
    b: f32,
    op: &mut [f32],
) {
    let (th, tw) = tiles(g);
    assert!(
        col0 + th * tw <= ld
            && m.len() >= ((POS - 1) * g.oc + o + 1) * ld
            && op.len() >= g.oh * g.ow,
        "winograd: output tiles outside their buffers"
    );
    let (zero, bv) = (_mm512_setzero_ps(), _mm512_set1_ps(b));
    let lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    let hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    let (mp, outp) = (m.as_ptr(), op.as_mut_ptr());
    for ty in 0..th {
        let mut k0 = 0;
        while k0 < tw {
            let keep = lanes16(tw - k0);
            let t0 = col0 + ty * tw + k0;
            let mut mv = [zero; POS];
            for (p, v) in mv.iter_mut().enumerate() {
                // SAFETY: the set lanes are tiles t0 .. col0 + (ty + 1)·tw ≤
                // col0 + th·tw ≤ ld of row p·oc + o < 16·oc of `m` (asserted).
                *v = unsafe { _mm512_maskz_loadu_ps(keep, mp.add((p * g.oc + o) * ld + t0)) };
            }
            // Rows i of M·A, then Aᵀ over them, in lin3's order.
            let mut sv = [[zero; 2]; 4];
            for (i, s) in sv.iter_mut().enumerate() {
                let r = &mv[4 * i..4 * i + 4];
                s[0] = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(r[0], r[1]), r[2]), zero);
                s[1] = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(r[1], r[2]), r[3]), zero);
            }
            let y = |j: usize| {
                (
                    _mm512_add_ps(
                        _mm512_add_ps(_mm512_add_ps(sv[0][j], sv[1][j]), sv[2][j]),
                        bv,
                    ),
                    _mm512_add_ps(
                        _mm512_sub_ps(_mm512_sub_ps(sv[1][j], sv[2][j]), sv[3][j]),
                        bv,
                    ),
                )
            };
            // (row 0, row 1) of columns 0 and 1 of the 2 × 2 blocks.
            let ((y00, y10), (y01, y11)) = (y(0), y(1));
            // Output columns 2·k0 .. of this block, ow > 2·k0.
            let c0 = 2 * k0;
            let (first, second) = (lanes16(g.ow - c0), lanes16(g.ow.saturating_sub(c0 + 16)));
            for (a, (e, d)) in [(y00, y01), (y10, y11)].into_iter().enumerate() {
                let oy = 2 * ty + a;
                if oy >= g.oh {
                    break;
                }
                // SAFETY: the set lanes are columns c0 .. ow of row oy < oh
                // of the plane (op.len() ≥ oh·ow, asserted); the second
                // address may lie past the plane when none of its lanes is
                // set (wrapping arithmetic: only computed).
                unsafe {
                    let dst = outp.add(oy * g.ow + c0);
                    _mm512_mask_storeu_ps(dst, first, _mm512_permutex2var_ps(e, lo, d));
                    let dst2 = dst.wrapping_add(16);
                    _mm512_mask_storeu_ps(dst2, second, _mm512_permutex2var_ps(e, hi, d));
                }
            }
            k0 += 16;
        }
    }
}

/// Interleaves the even (`ev`) and odd (`od`) columns of an output row.
#[inline(always)]
fn write_row(row: &mut [f32], ev: &[f32], od: &[f32]) {
    let pairs = row.len() / 2;
    for ((pair, e), o) in row.chunks_exact_mut(2).zip(&ev[..pairs]).zip(&od[..pairs]) {
        pair[0] = *e;
        pair[1] = *o;
    }
    if row.len() % 2 == 1 {
        let last = row.len() - 1;
        row[last] = ev[pairs];
    }
}

/// Forward pass of the images `x` (`[n, c, h, w]`) into `out`
/// (`[n, oc, oh, ow]`, overwritten), with weights from [`forward_prepare`],
/// on this thread.
///
/// # Panics
/// If `!applies(g)` for a forward geometry (an internal invariant).
pub(super) fn forward_images(
    g: &Geom,
    u: &[f32],
    bias: Option<&[f32]>,
    x: &[f32],
    out: &mut [f32],
) {
    forward_images_isa(isa(), g, u, bias, x, out);
}

fn forward_images_isa(
    isa: Isa,
    g: &Geom,
    u: &[f32],
    bias: Option<&[f32]>,
    x: &[f32],
    out: &mut [f32],
) {
    assert!(
        g.stride == 1 && g.kh == 3 && g.kw == 3,
        "winograd: unsupported geometry"
    );
    let n = x.len() / g.in_len().max(1);
    if n == 0 || g.out_len() == 0 {
        return;
    }
    let (tiles_img, block) = blocking(g);
    with_scratch(|s: &mut Scratch| {
        let Scratch { a, b, c, .. } = s;
        for (xb, ob) in x
            .chunks(block * g.in_len())
            .zip(out.chunks_mut(block * g.out_len()))
        {
            let (v, ld) = input_block(isa, g, xb, a, c);
            let m = grow(b, POS * g.oc * ld);
            for p in 0..POS {
                gemm::nn(
                    isa,
                    (g.oc, ld, g.c),
                    &u[p * g.oc * g.c..][..g.oc * g.c],
                    &v[p * g.c * ld..][..g.c * ld],
                    ld,
                    &mut m[p * g.oc * ld..][..g.oc * ld],
                    ld,
                );
            }
            for (i, oi) in ob.chunks_mut(g.out_len()).enumerate() {
                dispatch(
                    isa,
                    OutputPass {
                        g,
                        m,
                        ld,
                        col0: i * tiles_img,
                        bias,
                        out: oi,
                        work: c,
                        wide: isa == Isa::Avx512,
                    },
                );
            }
        }
    });
}

/// `A·dY·Aᵀ` of every 2×2 output-gradient tile of one image (`gy`,
/// `[oc, oh, ow]`) into columns `col0 ..` of `t` (`[16][oc][ld]`).
#[inline(always)]
fn grad_transform_impl(
    g: &Geom,
    gy: &[f32],
    t: &mut [f32],
    ld: usize,
    col0: usize,
    work: &mut Vec<f32>,
) {
    let (th, tw) = tiles(g);
    let nt = th * tw;
    let work = grow(work, 8 * nt);
    let (gb, qb) = work.split_at_mut(4 * nt);
    let plane = g.oh * g.ow;
    for o in 0..g.oc {
        let gp = &gy[o * plane..][..plane];
        // gb[a·2 + b] holds dY[2ty + a][2k + b] (zero past the edges).
        for a in 0..2 {
            for ty in 0..th {
                let oy = 2 * ty + a;
                for b in 0..2 {
                    let dst = &mut gb[(a * 2 + b) * nt + ty * tw..][..tw];
                    if oy < g.oh {
                        gather2(dst, &gp[oy * g.ow..][..g.ow], b as isize);
                    } else {
                        dst.fill(0.0);
                    }
                }
            }
        }
        let gv = |a: usize, b: usize| &gb[(a * 2 + b) * nt..][..nt];
        // Rows a of dY·Aᵀ: q_a = [g_a0, g_a0 + g_a1, g_a0 − g_a1, −g_a1]; the
        // middle two are computed, the outer two are (signed) copies.
        for a in 0..2 {
            let (q1, q2) = qb[2 * a * nt..][..2 * nt].split_at_mut(nt);
            lin2(q1, gv(a, 0), gv(a, 1), 1.0);
            lin2(q2, gv(a, 0), gv(a, 1), -1.0);
        }
        let qv = |a: usize, k: usize| &qb[(2 * a + k) * nt..][..nt];
        for j in 0..4 {
            // Column j of dY·Aᵀ for rows 0 and 1, as sign · (x0, x1).
            let (x0, x1, sj) = match j {
                0 => (gv(0, 0), gv(1, 0), 1.0f32),
                1 => (qv(0, 0), qv(1, 0), 1.0),
                2 => (qv(0, 1), qv(1, 1), 1.0),
                _ => (gv(0, 1), gv(1, 1), -1.0),
            };
            // A over the rows: [x0, x0 + x1, x0 − x1, −x1], times sj.
            let at = |i: usize| ((i * 4 + j) * g.oc + o) * ld + col0;
            let r = at(0)..at(0) + nt;
            for (d, v) in t[r].iter_mut().zip(x0) {
                *d = sj * v;
            }
            let r = at(1)..at(1) + nt;
            for (d, (u, v)) in t[r].iter_mut().zip(x0.iter().zip(x1)) {
                *d = sj * (u + v);
            }
            let r = at(2)..at(2) + nt;
            for (d, (u, v)) in t[r].iter_mut().zip(x0.iter().zip(x1)) {
                *d = sj * (u - v);
            }
            let r = at(3)..at(3) + nt;
            for (d, v) in t[r].iter_mut().zip(x1) {
                *d = -sj * v;
            }
        }
    }
}

/// [`grad_transform_impl`] of output channel `o` (its gradient plane `gp`,
/// `[oh, ow]`) with AVX-512F: sixteen tiles of a tile row per step, the two
/// gradient rows of the 2 × 2 blocks loaded (masked past the edges) and
/// split into even and odd columns by permutes, `A·dY·Aᵀ` in registers.
/// Each output is the same addition or subtraction as in
/// [`grad_transform_impl`], and its multiplications by ±1 are exact
/// negations here (a flipped sign bit), so the bits are the same.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn grad_channel_avx512(g: &Geom, gp: &[f32], t: &mut [f32], ld: usize, col0: usize, o: usize) {
    let (th, tw) = tiles(g);
    assert!(
        col0 + th * tw <= ld
            && t.len() >= ((POS - 1) * g.oc + o + 1) * ld
            && gp.len() >= g.oh * g.ow,
        "winograd: gradient tiles outside their buffers"
    );
    let zero = _mm512_setzero_ps();
    let (even, odd) = even_odd();
    let sign = _mm512_set1_epi32(i32::MIN);
    let neg = |v: __m512| _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(v), sign));
    let (gptr, tp) = (gp.as_ptr(), t.as_mut_ptr());
    for ty in 0..th {
        let mut k0 = 0;
        while k0 < tw {
            let keep = lanes16(tw - k0);
            // Gradient columns 2·k0 .. of this block, ow > 2·k0.
            let c0 = 2 * k0;
            let (first, second) = (lanes16(g.ow - c0), lanes16(g.ow.saturating_sub(c0 + 16)));
            // Row a of the blocks: (dY[2ty + a][2k], dY[2ty + a][2k + 1]).
            let row = |a: usize| {
                let oy = 2 * ty + a;
                if oy >= g.oh {
                    return (zero, zero);
                }
                // SAFETY: the set lanes are columns c0 .. ow of row oy < oh
                // of the plane (asserted); the second address may lie past
                // it when none of its lanes is set (only computed).
                let (x0, x1) = unsafe {
                    let src = gptr.add(oy * g.ow + c0);
                    (
                        _mm512_maskz_loadu_ps(first, src),
                        _mm512_maskz_loadu_ps(second, src.wrapping_add(16)),
                    )
                };
                (
                    _mm512_permutex2var_ps(x0, even, x1),
                    _mm512_permutex2var_ps(x0, odd, x1),
                )
            };
            let ((g00, g01), (g10, g11)) = (row(0), row(1));
            // Column j of dY·Aᵀ for rows 0 and 1; the last one negated.
            let cols = [
                (g00, g10),
                (_mm512_add_ps(g00, g01), _mm512_add_ps(g10, g11)),
                (_mm512_sub_ps(g00, g01), _mm512_sub_ps(g10, g11)),
                (g01, g11),
            ];
            for (j, (x0, x1)) in cols.into_iter().enumerate() {
                let (s, d) = (_mm512_add_ps(x0, x1), _mm512_sub_ps(x0, x1));
                // A over the rows: [x0, x0 + x1, x0 − x1, −x1], times ±1.
                let outs = if j == 3 {
                    [neg(x0), neg(s), neg(d), x1]
                } else {
                    [x0, s, d, neg(x1)]
                };
                for (i, v) in outs.into_iter().enumerate() {
                    // SAFETY: the set lanes are tiles col0 + ty·tw + k0 ..
                    // col0 + (ty + 1)·tw ≤ ld of row (4i + j)·oc + o < 16·oc
                    // of `t` (asserted).
                    unsafe {
                        let dst = tp.add(((i * 4 + j) * g.oc + o) * ld + col0 + ty * tw + k0);
                        _mm512_mask_storeu_ps(dst, keep, v);
                    }
                }
            }
            k0 += 16;
        }
    }
}

/// `Gᵀ·z·G` of one 4×4 tile (tile order), the 3×3 kernel gradient.
fn weight_grad_tile(z: &[f32; POS]) -> [f32; 9] {
    // Gᵀ = [[1, ½, ½, 0], [0, ½, −½, 0], [0, ½, ½, 1]]
    let gt = |a: f32, b: f32, c: f32, d: f32| [a + 0.5 * (b + c), 0.5 * (b - c), 0.5 * (b + c) + d];
    let mut rows = [[0.0f32; 4]; 3];
    for j in 0..4 {
        let col = gt(z[j], z[4 + j], z[8 + j], z[12 + j]);
        for r in 0..3 {
            rows[r][j] = col[r];
        }
    }
    let mut k = [0.0; 9];
    for r in 0..3 {
        let v = gt(rows[r][0], rows[r][1], rows[r][2], rows[r][3]);
        k[r * 3..r * 3 + 3].copy_from_slice(&v);
    }
    k
}

/// Weight and bias gradients of the images `x` with output gradients
/// `gout`, written to `dw` (`[oc, c, 3, 3]`) and `db` (`[oc]`), on this
/// thread.
pub(super) fn weight_grad(g: &Geom, x: &[f32], gout: &[f32], dw: &mut [f32], db: &mut [f32]) {
    weight_grad_isa(isa(), g, x, gout, dw, db);
}

fn weight_grad_isa(isa: Isa, g: &Geom, x: &[f32], gout: &[f32], dw: &mut [f32], db: &mut [f32]) {
    let n = x.len() / g.in_len().max(1);
    dw.fill(0.0);
    for (o, d) in db.iter_mut().enumerate() {
        let plane = g.oh * g.ow;
        *d = (0..n)
            .map(|i| lane_sum(&gout[(i * g.oc + o) * plane..][..plane]))
            .sum();
    }
    if n == 0 || g.out_len() == 0 {
        return;
    }
    let (tiles_img, block) = blocking(g);
    with_scratch(|s: &mut Scratch| {
        let Scratch { a, b, c, d } = s;
        let z = grow(d, POS * g.oc * g.c);
        z.fill(0.0);
        for (xb, gb) in x
            .chunks(block * g.in_len())
            .zip(gout.chunks(block * g.out_len()))
        {
            let (v, ld) = input_block(isa, g, xb, a, c);
            let t = grow(b, POS * g.oc * ld);
            for (i, gi) in gb.chunks(g.out_len()).enumerate() {
                dispatch(
                    isa,
                    GradPass {
                        g,
                        gy: gi,
                        t,
                        ld,
                        col0: i * tiles_img,
                        work: c,
                        wide: isa == Isa::Avx512,
                    },
                );
            }
            for p in 0..POS {
                gemm::nt(
                    isa,
                    (g.oc, g.c, ld),
                    &t[p * g.oc * ld..][..g.oc * ld],
                    ld,
                    &v[p * g.c * ld..][..g.c * ld],
                    ld,
                    &mut z[p * g.oc * g.c..][..g.oc * g.c],
                );
            }
        }
        for o in 0..g.oc {
            for c in 0..g.c {
                let mut zt = [0.0f32; POS];
                for (p, t) in zt.iter_mut().enumerate() {
                    *t = z[(p * g.oc + o) * g.c + c];
                }
                dw[(o * g.c + c) * 9..][..9].copy_from_slice(&weight_grad_tile(&zt));
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geom(c: usize, oc: usize, h: usize, w: usize, pad: usize) -> Geom {
        Geom {
            c,
            h,
            w,
            oc,
            kh: 3,
            kw: 3,
            stride: 1,
            pad,
            oh: h + 2 * pad - 2,
            ow: w + 2 * pad - 2,
        }
    }

    /// A reproducible pseudo-random vector in [−1, 1).
    fn data(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// The direct sums in f64: forward, input gradient and weight gradient.
    fn reference(
        g: &Geom,
        n: usize,
        x: &[f32],
        w: &[f32],
        b: &[f32],
        gy: &[f32],
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut y = vec![0.0f64; n * g.out_len()];
        let mut gx = vec![0.0f64; n * g.in_len()];
        let mut dw = vec![0.0f64; g.oc * g.c * 9];
        for i in 0..n {
            for (o, bo) in b.iter().enumerate() {
                for oy in 0..g.oh {
                    for ox in 0..g.ow {
                        let yi = ((i * g.oc + o) * g.oh + oy) * g.ow + ox;
                        let mut acc = *bo as f64;
                        for c in 0..g.c {
                            for ki in 0..3 {
                                for kj in 0..3 {
                                    let iy = (oy + ki) as isize - g.pad as isize;
                                    let ix = (ox + kj) as isize - g.pad as isize;
                                    if iy < 0 || ix < 0 || iy >= g.h as isize || ix >= g.w as isize
                                    {
                                        continue;
                                    }
                                    let xi =
                                        ((i * g.c + c) * g.h + iy as usize) * g.w + ix as usize;
                                    let wi = ((o * g.c + c) * 3 + ki) * 3 + kj;
                                    acc += x[xi] as f64 * w[wi] as f64;
                                    gx[xi] += gy[yi] as f64 * w[wi] as f64;
                                    dw[wi] += gy[yi] as f64 * x[xi] as f64;
                                }
                            }
                        }
                        y[yi] = acc;
                    }
                }
            }
        }
        (y, gx, dw)
    }

    fn max_rel(got: &[f32], want: &[f64]) -> f64 {
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-30);
        got.iter()
            .zip(want)
            .map(|(g, w)| (*g as f64 - w).abs())
            .fold(0.0, f64::max)
            / scale
    }

    /// Forward, input gradient and weight gradient against direct f64 sums,
    /// for "same" and "valid" padding, odd and even sizes, one image and a
    /// batch spanning several blocks.
    #[test]
    fn matches_direct_sums() {
        for &(c, oc, h, w, pad, n) in &[
            (16, 16, 8, 8, 1, 3),
            (17, 20, 7, 9, 1, 2),
            (16, 24, 6, 5, 0, 1),
            (20, 16, 5, 6, 2, 2),
            (32, 16, 12, 12, 1, 9),
        ] {
            let g = geom(c, oc, h, w, pad);
            assert!(applies(&g));
            let x = data(n * g.in_len(), 1);
            let wt = data(oc * c * 9, 2);
            let b = data(oc, 3);
            let gy = data(n * g.out_len(), 4);
            let (y_ref, gx_ref, dw_ref) = reference(&g, n, &x, &wt, &b, &gy);
            let db_ref: Vec<f64> = (0..oc)
                .map(|o| {
                    (0..n)
                        .flat_map(|i| gy[(i * oc + o) * g.oh * g.ow..][..g.oh * g.ow].iter())
                        .map(|v| *v as f64)
                        .sum()
                })
                .collect();

            for isa in super::super::isas() {
                let case = (c, oc, h, w, pad, isa);
                let mut y = vec![f32::NAN; n * g.out_len()];
                forward_images_isa(isa, &g, &forward_prepare(&g, &wt), Some(&b), &x, &mut y);
                let err = max_rel(&y, &y_ref);
                assert!(err < 1e-5, "forward {case:?}: {err}");

                let mut gx = vec![f32::NAN; n * g.in_len()];
                let gg = input_grad_geom(&g);
                forward_images_isa(isa, &gg, &input_grad_prepare(&g, &wt), None, &gy, &mut gx);
                let err = max_rel(&gx, &gx_ref);
                assert!(err < 1e-5, "input grad {case:?}: {err}");

                let mut dw = vec![f32::NAN; oc * c * 9];
                let mut db = vec![f32::NAN; oc];
                weight_grad_isa(isa, &g, &x, &gy, &mut dw, &mut db);
                let err = max_rel(&dw, &dw_ref);
                assert!(err < 1e-5, "weight grad {case:?}: {err}");
                assert!(max_rel(&db, &db_ref) < 1e-5, "bias grad {case:?}");
            }
        }
    }

    /// Every instruction set this CPU has gives the portable code's bits
    /// in the transforms, and the vector instruction sets agree on whole
    /// passes: on odd and even widths, every padding, and rows of one, two
    /// and exactly one block of 16 tile columns (the AVX-512 row gather).
    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        for (g, n) in [
            (geom(17, 19, 9, 11, 1), 3),
            (geom(16, 17, 5, 35, 0), 2),
            (geom(16, 16, 4, 32, 1), 2),
            (geom(17, 16, 3, 34, 2), 2),
        ] {
            instruction_sets_agree_on(g, n);
        }
    }

    fn instruction_sets_agree_on(g: Geom, n: usize) {
        let x = data(n * g.in_len(), 5);
        let wt = data(g.oc * g.c * 9, 6);
        let b = data(g.oc, 7);
        let gy = data(n * g.out_len(), 8);
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        let (tiles_img, _) = blocking(&g);
        let ld = n * tiles_img;
        let m = data(POS * g.oc * ld, 9);
        let transforms = |isa: Isa| {
            let (mut buf, mut work) = (Vec::new(), Vec::new());
            let v = bits(input_block(isa, &g, &x, &mut buf, &mut work).0);
            let mut t = vec![0.0; POS * g.oc * ld];
            let mut y = vec![0.0; n * g.out_len()];
            for i in 0..n {
                let gi = &gy[i * g.out_len()..][..g.out_len()];
                dispatch(
                    isa,
                    GradPass {
                        g: &g,
                        gy: gi,
                        t: &mut t,
                        ld,
                        col0: i * tiles_img,
                        work: &mut work,
                        wide: isa == Isa::Avx512,
                    },
                );
                let yi = &mut y[i * g.out_len()..][..g.out_len()];
                dispatch(
                    isa,
                    OutputPass {
                        g: &g,
                        m: &m,
                        ld,
                        col0: i * tiles_img,
                        bias: Some(&b),
                        out: yi,
                        work: &mut work,
                        wide: isa == Isa::Avx512,
                    },
                );
            }
            (v, bits(&t), bits(&y))
        };
        let passes = |isa: Isa| {
            let mut y = vec![0.0; n * g.out_len()];
            forward_images_isa(isa, &g, &forward_prepare(&g, &wt), Some(&b), &x, &mut y);
            let (mut dw, mut db) = (vec![0.0; g.oc * g.c * 9], vec![0.0; g.oc]);
            weight_grad_isa(isa, &g, &x, &gy, &mut dw, &mut db);
            (bits(&y), bits(&dw), bits(&db))
        };
        let plain = transforms(Isa::Plain);
        let vector: Vec<Isa> = super::super::isas()
            .into_iter()
            .filter(|i| *i != Isa::Plain)
            .collect();
        for &isa in &vector {
            assert_eq!(transforms(isa), plain, "{isa:?}");
        }
        if let Some(&first) = vector.first() {
            let want = passes(first);
            for &isa in &vector[1..] {
                assert_eq!(passes(isa), want, "{isa:?}");
            }
        }
    }

    #[test]
    fn applies_only_to_stride_one_3x3_with_channels() {
        assert!(applies(&geom(16, 16, 8, 8, 1)));
        assert!(!applies(&geom(8, 16, 8, 8, 1)));
        assert!(!applies(&geom(16, 8, 8, 8, 1)));
        assert!(!applies(&Geom {
            stride: 2,
            ..geom(16, 16, 8, 8, 1)
        }));
        assert!(!applies(&Geom {
            pad: 3,
            oh: 12,
            ow: 12,
            ..geom(16, 16, 8, 8, 1)
        }));
    }
}
