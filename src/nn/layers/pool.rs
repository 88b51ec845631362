//! 2-D max pooling.

use ndarray::ArrayViewD;
use rayon::prelude::*;

use super::{Layer, Mode, check_grad_shape, no_forward_error};
use crate::error::{Error, Result};
use crate::nn::buf::Buf;

/// 2-D max pooling without padding (PyTorch's `nn.MaxPool2d(kernel, stride)`,
/// floor mode). Ties pick the first maximum in row-major window order; NaN
/// propagates.
///
/// # Shapes
/// - input: `[n, c, h, w]`
/// - output: `[n, c, (h − k) / stride + 1, (w − k) / stride + 1]`
///
/// # Example
/// ```
/// use oxilearn::nn::{Layer, MaxPool2d, Mode};
/// use oxilearn::ndarray::Array4;
/// let mut pool = MaxPool2d::new(2)?;
/// let x = Array4::from_shape_fn((1, 1, 4, 4), |(_, _, i, j)| (i * 4 + j) as f32);
/// let y = pool.forward(x.view().into_dyn(), Mode::Eval)?;
/// assert_eq!(y.shape(), &[1, 1, 2, 2]);
/// assert_eq!(y[[0, 0, 1, 1]], 15.0);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MaxPool2d {
    kernel: usize,
    stride: usize,
    pub(super) output: Buf,
    pub(super) grad_input: Buf,
    argmax: Vec<u32>,
    in_shape: Vec<usize>,
    cached: bool,
    planned_relu: bool,
}

impl MaxPool2d {
    /// Pooling over `kernel × kernel` windows with stride `kernel` (PyTorch's default).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `kernel` is 0.
    pub fn new(kernel: usize) -> Result<Self> {
        Self::with_stride(kernel, kernel)
    }

    /// Pooling with an explicit stride.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `kernel` or `stride` is 0.
    pub fn with_stride(kernel: usize, stride: usize) -> Result<Self> {
        if kernel == 0 {
            return Err(Error::invalid("kernel", "must be at least 1, got 0"));
        }
        if stride == 0 {
            return Err(Error::invalid("stride", "must be at least 1, got 0"));
        }
        Ok(MaxPool2d {
            kernel,
            stride,
            output: Buf::default(),
            grad_input: Buf::default(),
            argmax: Vec::new(),
            in_shape: Vec::new(),
            cached: false,
            planned_relu: false,
        })
    }

    /// Window size.
    pub fn kernel(&self) -> usize {
        self.kernel
    }

    /// Stride.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Pooling of `relu(x)` in one pass (what a ReLU followed by this layer
    /// computes): `max(relu(window)) = relu(max(window))`, with the arg-max
    /// of `x`; the windows whose maximum is not positive get no gradient in
    /// [`backward_relu_into`](Self::backward_relu_into), so outputs and
    /// gradients equal the unfused pair's.
    pub(super) fn forward_impl(
        &mut self,
        x: ArrayViewD<'_, f32>,
        mode: Mode,
        relu: bool,
    ) -> Result<()> {
        let x = x.as_standard_layout();
        let xs = x.as_slice().expect("standard layout");
        self.plan(x.shape(), relu, false)?;
        let (k, out, argmax, _) = self.split();
        // Windows fit (checked by `plan`): planes are never empty.
        let oplane = k.oh * k.ow;
        out.par_chunks_mut(oplane)
            .zip(argmax.par_chunks_mut(oplane).zip(xs.par_chunks(k.plane)))
            .with_min_len(64)
            .for_each(|(o, (am, xp))| k.forward_chunk(xp, o, am));
        self.cached = mode == Mode::Train;
        Ok(())
    }

    /// Validates the input shape of a batch and sizes the output, the
    /// arg-max and (if `need_input_grad`) the input-gradient buffer; `relu`:
    /// fused with the preceding ReLU, whose buffer then takes the input
    /// gradient (the caller sizes it). Returns the output shape.
    pub(crate) fn plan(
        &mut self,
        in_shape: &[usize],
        relu: bool,
        need_input_grad: bool,
    ) -> Result<Vec<usize>> {
        let (oh, ow) = self.out_size(in_shape)?;
        let out_shape = vec![in_shape[0], in_shape[1], oh, ow];
        let len = self.output.reshape(&out_shape).len();
        self.argmax.resize(len, 0);
        if need_input_grad && !relu {
            self.grad_input.reshape(in_shape);
        }
        self.in_shape = in_shape.to_vec();
        self.planned_relu = relu;
        self.cached = false;
        Ok(out_shape)
    }

    /// The kernel of the last [`plan`](Self::plan) with the output, arg-max
    /// and input-gradient buffers.
    pub(crate) fn split(&mut self) -> (PoolKernel, &mut [f32], &mut [u32], &mut [f32]) {
        let (h, w) = (self.in_shape[2], self.in_shape[3]);
        let (oh, ow) = self
            .out_size(&self.in_shape)
            .expect("MaxPool2d::split after plan");
        let k = PoolKernel {
            k: self.kernel,
            st: self.stride,
            w,
            plane: h * w,
            oh,
            ow,
            relu: self.planned_relu,
        };
        (
            k,
            self.output.as_mut_slice(),
            &mut self.argmax,
            self.grad_input.as_mut_slice(),
        )
    }

    fn out_size(&self, s: &[usize]) -> Result<(usize, usize)> {
        if s.len() != 4 || s[2] < self.kernel || s[3] < self.kernel {
            return Err(Error::ShapeMismatch {
                what: "max-pool input [n, c, h, w] (h, w ≥ kernel)",
                expected: vec![usize::MAX, usize::MAX, self.kernel, self.kernel],
                got: s.to_vec(),
            });
        }
        let (k, st) = (self.kernel, self.stride);
        Ok(((s[2] - k) / st + 1, (s[3] - k) / st + 1))
    }

    fn backward_impl(
        &mut self,
        grad_output: ArrayViewD<'_, f32>,
        need_input_grad: bool,
    ) -> Result<()> {
        let mut gin = std::mem::take(&mut self.grad_input);
        let r = self.backward_relu_into(grad_output, need_input_grad, false, &mut gin);
        self.grad_input = gin;
        r
    }

    /// Backward pass into `gin`; with `relu`, the gradient of the fused
    /// ReLU → pool pair (see [`forward_impl`](Self::forward_impl)): an output
    /// gradient reaches its window's maximum only where the pooled value is
    /// positive.
    pub(super) fn backward_relu_into(
        &self,
        grad_output: ArrayViewD<'_, f32>,
        need_input_grad: bool,
        relu: bool,
        gin: &mut Buf,
    ) -> Result<()> {
        if !self.cached {
            return Err(no_forward_error());
        }
        check_grad_shape(grad_output.shape(), self.output.shape())?;
        if !need_input_grad {
            return Ok(());
        }
        let gout = grad_output.as_standard_layout();
        let gs = gout.as_slice().expect("standard layout");
        let plane = self.in_shape[2] * self.in_shape[3];
        let oplane = self.output.shape()[2] * self.output.shape()[3];
        let ys = self.output.as_slice();
        let gin = gin.reshape(&self.in_shape);
        if oplane == 0 || gin.is_empty() {
            gin.fill(0.0);
            return Ok(());
        }
        gin.par_chunks_mut(plane)
            .zip(gs.par_chunks(oplane).zip(self.argmax.par_chunks(oplane)))
            .zip(ys.par_chunks(oplane))
            .with_min_len(64)
            .for_each(|((gi, (go, am)), y)| unpool(relu, go, am, y, gi));
        Ok(())
    }
}

impl Layer for MaxPool2d {
    fn kind(&self) -> &str {
        "MaxPool2d"
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let (oh, ow) = self.out_size(input)?;
        Ok(vec![input[0], input[1], oh, ow])
    }

    fn forward(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        self.forward_impl(x, mode, false)?;
        Ok(self.output.view())
    }

    fn backward(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<ArrayViewD<'_, f32>> {
        self.backward_impl(grad_output, true)?;
        Ok(self.grad_input.view())
    }

    fn backward_params(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<()> {
        self.backward_impl(grad_output, false)
    }

    fn fresh(&self) -> Box<dyn Layer> {
        Box::new(MaxPool2d::with_stride(self.kernel, self.stride).expect("a valid pooling"))
    }
}

/// A planned max pooling over whole planes (`relu`: fused with a preceding
/// ReLU); shared by the chunks of a batch (see [`crate::nn::pipeline`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolKernel {
    k: usize,
    st: usize,
    w: usize,
    plane: usize,
    oh: usize,
    ow: usize,
    relu: bool,
}

impl PoolKernel {
    /// Pools the planes of `x` into `o` with their arg-max positions `am`.
    pub(crate) fn forward_chunk(&self, x: &[f32], o: &mut [f32], am: &mut [u32]) {
        let (k, st, oplane) = (self.k, self.st, self.oh * self.ow);
        if oplane == 0 || self.plane == 0 {
            return;
        }
        for ((o, am), xp) in o
            .chunks_mut(oplane)
            .zip(am.chunks_mut(oplane))
            .zip(x.chunks(self.plane))
        {
            if k == 2 && st == 2 {
                pool_2x2(xp, self.w, self.oh, self.ow, o, am);
            } else {
                pool_general(xp, self.w, k, st, self.oh, self.ow, o, am);
            }
            if self.relu {
                for v in o.iter_mut() {
                    // NaN stays NaN, as in ReLU::forward.
                    if *v < 0.0 {
                        *v = 0.0;
                    }
                }
            }
        }
    }

    /// The input gradient `gin` of the planes whose outputs `y` (arg-max
    /// `am`) got the gradient `gout`.
    pub(crate) fn backward_chunk(&self, gout: &[f32], am: &[u32], y: &[f32], gin: &mut [f32]) {
        let oplane = self.oh * self.ow;
        if oplane == 0 || self.plane == 0 {
            gin.fill(0.0);
            return;
        }
        for ((gi, (go, am)), y) in gin
            .chunks_mut(self.plane)
            .zip(gout.chunks(oplane).zip(am.chunks(oplane)))
            .zip(y.chunks(oplane))
        {
            unpool(self.relu, go, am, y, gi);
        }
    }
}

/// Routes the gradients `go` of one plane to the arg-max positions `am`
/// (with `relu`, only where the pooled value `y` is positive).
fn unpool(relu: bool, go: &[f32], am: &[u32], y: &[f32], gi: &mut [f32]) {
    gi.fill(0.0);
    if relu {
        for ((g, &a), &y) in go.iter().zip(am).zip(y) {
            if y > 0.0 {
                gi[a as usize] += g;
            }
        }
    } else {
        for (g, &a) in go.iter().zip(am) {
            gi[a as usize] += g;
        }
    }
}

/// Any window and stride, one plane (first maximum wins; NaN propagates).
#[allow(clippy::too_many_arguments)]
fn pool_general(
    xp: &[f32],
    w: usize,
    k: usize,
    st: usize,
    oh: usize,
    ow: usize,
    o: &mut [f32],
    am: &mut [u32],
) {
    for oy in 0..oh {
        for ox in 0..ow {
            let mut at = (oy * st) * w + ox * st;
            let mut best = xp[at];
            for ky in 0..k {
                let row = (oy * st + ky) * w;
                for kx in 0..k {
                    let idx = row + ox * st + kx;
                    let v = xp[idx];
                    if better(v, best) {
                        best = v;
                        at = idx;
                    }
                }
            }
            o[oy * ow + ox] = best;
            am[oy * ow + ox] = at as u32;
        }
    }
}

/// `v` replaces the running maximum (first maximum wins; NaN propagates).
#[inline(always)]
fn better(v: f32, best: f32) -> bool {
    v > best || (v.is_nan() && !best.is_nan())
}

/// The common 2×2, stride-2 case of one plane, same semantics as the general loop.
fn pool_2x2(xp: &[f32], w: usize, oh: usize, ow: usize, o: &mut [f32], am: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    // The SIMD path keeps argmax positions in i32 lanes: planes past
    // i32::MAX elements take the scalar loop (u32 positions).
    if ow >= 1 && 2 * oh * w <= i32::MAX as usize && crate::cpu::active().avx2 {
        // SAFETY: the CPU supports AVX2 (`active` ⊆ `hardware`).
        unsafe { simd::pool_2x2(xp, w, oh, ow, o, am) };
        return;
    }
    pool_2x2_scalar(xp, w, oh, ow, o, am);
}

/// [`pool_2x2`] one output at a time.
fn pool_2x2_scalar(xp: &[f32], w: usize, oh: usize, ow: usize, o: &mut [f32], am: &mut [u32]) {
    for oy in 0..oh {
        let r0 = 2 * oy * w;
        let (row0, row1) = (&xp[r0..r0 + w], &xp[r0 + w..r0 + 2 * w]);
        let orow = &mut o[oy * ow..(oy + 1) * ow];
        let arow = &mut am[oy * ow..(oy + 1) * ow];
        for ox in 0..ow {
            let c = 2 * ox;
            let (mut best, mut at) = (row0[c], r0 + c);
            if better(row0[c + 1], best) {
                best = row0[c + 1];
                at = r0 + c + 1;
            }
            if better(row1[c], best) {
                best = row1[c];
                at = r0 + w + c;
            }
            if better(row1[c + 1], best) {
                best = row1[c + 1];
                at = r0 + w + c + 1;
            }
            orow[ox] = best;
            arow[ox] = at as u32;
        }
    }
}

/// 2×2 stride-2 pooling, 8 outputs per step with AVX2 (same results as the
/// scalar loop, ties and NaN included).
#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::{
        __m256, __m256i, _CMP_GT_OQ, _CMP_ORD_Q, _CMP_UNORD_Q, _mm256_add_epi32, _mm256_and_ps,
        _mm256_andnot_ps, _mm256_blendv_ps, _mm256_castpd_ps, _mm256_castps_pd,
        _mm256_castps_si256, _mm256_castsi256_ps, _mm256_cmp_ps, _mm256_loadu_ps, _mm256_or_ps,
        _mm256_permute4x64_pd, _mm256_set1_epi32, _mm256_setr_epi32, _mm256_shuffle_ps,
        _mm256_storeu_ps, _mm256_storeu_si256,
    };

    /// Even- and odd-indexed elements of the first 16 floats of `row`, in order.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn deinterleave(row: &[f32]) -> (__m256, __m256) {
        assert!(row.len() >= 16);
        // SAFETY: 16 elements are in bounds (asserted above).
        let (a, b) = unsafe {
            (
                _mm256_loadu_ps(row.as_ptr()),
                _mm256_loadu_ps(row.as_ptr().add(8)),
            )
        };
        // Per 128-bit lane: [a0 a2 b0 b2 | a4 a6 b4 b6]; then lanes 64-bit-permuted to order.
        let ev = _mm256_shuffle_ps::<0b10_00_10_00>(a, b);
        let od = _mm256_shuffle_ps::<0b11_01_11_01>(a, b);
        let fix = |v: __m256| {
            _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(v)))
        };
        (fix(ev), fix(od))
    }

    /// `(best, offset)` updated with candidate `v` at `off`: taken when
    /// `v > best`, or `v` is NaN and `best` is not.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn step(best: __m256, at: __m256, v: __m256, off: i32) -> (__m256, __m256) {
        let gt = _mm256_cmp_ps::<_CMP_GT_OQ>(v, best);
        let nan = _mm256_and_ps(
            _mm256_cmp_ps::<_CMP_UNORD_Q>(v, v),
            _mm256_cmp_ps::<_CMP_ORD_Q>(best, best),
        );
        let take = _mm256_or_ps(gt, nan);
        let offv = _mm256_castsi256_ps(_mm256_set1_epi32(off));
        (
            _mm256_blendv_ps(best, v, take),
            _mm256_blendv_ps(at, offv, take),
        )
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn pool_2x2(
        xp: &[f32],
        w: usize,
        oh: usize,
        ow: usize,
        o: &mut [f32],
        am: &mut [u32],
    ) {
        assert!(ow >= 1 && 2 * ow <= w && 2 * oh * w <= xp.len());
        assert!(o.len() >= oh * ow && am.len() >= oh * ow);
        let lanes: __m256i = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
        for oy in 0..oh {
            let r0 = 2 * oy * w;
            if ow < 8 {
                // Narrow planes: the two rows staged in 16-float buffers
                // (zeros past the row; those lanes are not stored).
                let (mut top, mut bot) = ([0.0f32; 16], [0.0f32; 16]);
                top[..2 * ow].copy_from_slice(&xp[r0..r0 + 2 * ow]);
                bot[..2 * ow].copy_from_slice(&xp[r0 + w..r0 + w + 2 * ow]);
                let (best, idx) = step8(&top, &bot, w, r0, lanes);
                let (mut ob, mut ab) = ([0.0f32; 8], [0u32; 8]);
                // SAFETY: both buffers have 8 elements.
                unsafe {
                    _mm256_storeu_ps(ob.as_mut_ptr(), best);
                    _mm256_storeu_si256(ab.as_mut_ptr().cast(), idx);
                }
                o[oy * ow..][..ow].copy_from_slice(&ob[..ow]);
                am[oy * ow..][..ow].copy_from_slice(&ab[..ow]);
                continue;
            }
            let mut ox = 0;
            loop {
                // The last step may overlap the previous one (same values).
                let s = ox.min(ow - 8);
                let at = r0 + 2 * s;
                let (best, idx) = step8(&xp[at..], &xp[at + w..], w, at, lanes);
                let dst = &mut o[oy * ow + s..][..8];
                let adst = &mut am[oy * ow + s..][..8];
                // SAFETY: both destinations have 8 elements.
                unsafe {
                    _mm256_storeu_ps(dst.as_mut_ptr(), best);
                    _mm256_storeu_si256(adst.as_mut_ptr().cast(), idx);
                }
                if s + 8 >= ow {
                    break;
                }
                ox += 8;
            }
        }
    }

    /// Maxima and their plane positions of the 8 windows whose top rows
    /// start `top` and `bot` (16 floats each; `top` starts at plane
    /// position `at`, rows `w` apart).
    #[target_feature(enable = "avx2")]
    #[inline]
    fn step8(top: &[f32], bot: &[f32], w: usize, at: usize, lanes: __m256i) -> (__m256, __m256i) {
        let zero = _mm256_andnot_ps(_mm256_castsi256_ps(lanes), _mm256_castsi256_ps(lanes));
        let (tl, tr) = deinterleave(top);
        let (bl, br) = deinterleave(bot);
        let (best, off) = (tl, zero);
        let (best, off) = step(best, off, tr, 1);
        let (best, off) = step(best, off, bl, w as i32);
        let (best, off) = step(best, off, br, w as i32 + 1);
        let base = _mm256_add_epi32(_mm256_set1_epi32(at as i32), lanes);
        (best, _mm256_add_epi32(base, _mm256_castps_si256(off)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The AVX2 kernel where the CPU has it (whatever `OXILEARN_CPU` says),
    /// else the dispatching function.
    fn pool_2x2_simd(x: &[f32], w: usize, oh: usize, ow: usize, o: &mut [f32], am: &mut [u32]) {
        #[cfg(target_arch = "x86_64")]
        if crate::cpu::hardware().avx2 {
            // SAFETY: the CPU supports AVX2 (checked just above).
            unsafe { simd::pool_2x2(x, w, oh, ow, o, am) };
            return;
        }
        pool_2x2(x, w, oh, ow, o, am);
    }

    /// The vectorised 2×2 pooling equals the scalar loop (values and
    /// arg-max), with ties, NaN, odd widths and overlapping last steps.
    #[test]
    fn pool_2x2_matches_scalar() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for (h, w) in [
            (28, 28),
            (10, 10),
            (16, 16),
            (9, 33),
            (4, 18),
            (6, 17),
            (2, 40),
            (2, 2),
            (3, 5),
            (6, 6),
            (10, 14),
            (11, 15),
        ] {
            let (oh, ow) = (h / 2, w / 2);
            for trial in 0..4 {
                let x: Vec<f32> = (0..h * w)
                    .map(|_| match trial {
                        // Few distinct values: many ties.
                        0 => rng.random_range(0..3) as f32,
                        1 if rng.random_range(0..10) == 0 => f32::NAN,
                        _ => rng.random_range(-1.0..1.0),
                    })
                    .collect();
                let (mut o1, mut a1) = (vec![0.0; oh * ow], vec![0; oh * ow]);
                let (mut o2, mut a2) = (vec![0.0; oh * ow], vec![0; oh * ow]);
                pool_2x2_simd(&x, w, oh, ow, &mut o1, &mut a1);
                pool_2x2_scalar(&x, w, oh, ow, &mut o2, &mut a2);
                assert_eq!(a1, a2, "arg-max {h}x{w} trial {trial}");
                for (u, v) in o1.iter().zip(&o2) {
                    assert!(u == v || (u.is_nan() && v.is_nan()), "{h}x{w}: {u} vs {v}");
                }
            }
        }
    }
}
