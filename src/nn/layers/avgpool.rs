//! Average pooling: [`AvgPool2d`] (fixed windows) and [`AdaptiveAvgPool2d`]
//! (a fixed output size, e.g. global average pooling).

use ndarray::ArrayViewD;
use rayon::prelude::*;

use super::{Layer, Mode, check_grad_shape, no_forward_error};
use crate::error::{Error, Result};
use crate::nn::buf::Buf;

/// The windows of one output axis: `(start, end, divisor part)` per output
/// position, start/end clipped to the input.
#[derive(Debug, Clone, Default, PartialEq)]
struct Windows {
    start: Vec<usize>,
    end: Vec<usize>,
    /// The extent the divisor counts (with `count_include_pad`, the window
    /// inside the padded input; otherwise `end − start`).
    count: Vec<usize>,
}

impl Windows {
    fn len(&self) -> usize {
        self.start.len()
    }

    /// Windows of `k` with stride `s` and padding `p` over `n` inputs.
    fn fixed(n: usize, k: usize, s: usize, p: usize, include_pad: bool) -> Self {
        let out = (n + 2 * p - k) / s + 1;
        let mut w = Windows::default();
        for o in 0..out {
            let lo = (o * s) as isize - p as isize;
            let hi = lo + k as isize;
            let padded_hi = hi.min((n + p) as isize);
            let (a, b) = (lo.max(0) as usize, (hi.max(0) as usize).min(n));
            w.start.push(a);
            w.end.push(b.max(a));
            w.count.push(if include_pad {
                (padded_hi - lo) as usize
            } else {
                b.max(a) - a
            });
        }
        w
    }

    /// PyTorch's adaptive windows: `[⌊o·n/out⌋, ⌈(o+1)·n/out⌉)`.
    fn adaptive(n: usize, out: usize) -> Self {
        let mut w = Windows::default();
        for o in 0..out {
            let a = o * n / out;
            let b = ((o + 1) * n).div_ceil(out);
            w.start.push(a);
            w.end.push(b);
            w.count.push(b - a);
        }
        w
    }
}

/// What both average poolings share: the windows of both axes and the
/// buffers.
#[derive(Debug, Clone, Default)]
struct AvgCore {
    rows: Windows,
    cols: Windows,
    in_shape: Vec<usize>,
    output: Buf,
    grad_input: Buf,
    cached: bool,
}

impl AvgCore {
    fn forward(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        let x = x.as_standard_layout();
        let xs = x.as_slice().expect("standard layout");
        let s = x.shape();
        let (oh, ow) = (self.rows.len(), self.cols.len());
        let out = self.output.reshape(&[s[0], s[1], oh, ow]);
        let (plane, oplane) = (s[2] * s[3], oh * ow);
        self.in_shape = s.to_vec();
        if oplane > 0 && plane > 0 {
            let (rows, cols, w) = (&self.rows, &self.cols, s[3]);
            out.par_chunks_mut(oplane)
                .zip(xs.par_chunks(plane))
                .with_min_len(16)
                .for_each(|(o, xp)| {
                    for (oy, orow) in o.chunks_mut(ow).enumerate() {
                        for (ox, v) in orow.iter_mut().enumerate() {
                            let mut sum = 0.0f32;
                            for y in rows.start[oy]..rows.end[oy] {
                                for xv in &xp[y * w + cols.start[ox]..y * w + cols.end[ox]] {
                                    sum += xv;
                                }
                            }
                            let div = rows.count[oy] * cols.count[ox];
                            *v = if div > 0 { sum / div as f32 } else { 0.0 };
                        }
                    }
                });
        }
        self.cached = mode == Mode::Train;
        Ok(self.output.view())
    }

    fn backward(&mut self, grad_output: ArrayViewD<'_, f32>, need_input_grad: bool) -> Result<()> {
        if !self.cached {
            return Err(no_forward_error());
        }
        check_grad_shape(grad_output.shape(), self.output.shape())?;
        if !need_input_grad {
            return Ok(());
        }
        let g = grad_output.as_standard_layout();
        let gs = g.as_slice().expect("standard layout");
        let s = self.in_shape.clone();
        let (oh, ow) = (self.rows.len(), self.cols.len());
        let (plane, oplane) = (s[2] * s[3], oh * ow);
        let gin = self.grad_input.reshape(&s);
        gin.fill(0.0);
        if oplane > 0 && plane > 0 {
            let (rows, cols, w) = (&self.rows, &self.cols, s[3]);
            gin.par_chunks_mut(plane)
                .zip(gs.par_chunks(oplane))
                .with_min_len(16)
                .for_each(|(gi, go)| {
                    for (oy, grow) in go.chunks(ow).enumerate() {
                        for (ox, &gv) in grow.iter().enumerate() {
                            let div = rows.count[oy] * cols.count[ox];
                            if div == 0 {
                                continue;
                            }
                            let share = gv / div as f32;
                            for y in rows.start[oy]..rows.end[oy] {
                                for d in &mut gi[y * w + cols.start[ox]..y * w + cols.end[ox]] {
                                    *d += share;
                                }
                            }
                        }
                    }
                });
        }
        Ok(())
    }
}

fn check_4d(what: &'static str, s: &[usize], min: usize) -> Result<()> {
    if s.len() != 4 || s[2] < min || s[3] < min {
        return Err(Error::ShapeMismatch {
            what,
            expected: vec![usize::MAX, usize::MAX, min, min],
            got: s.to_vec(),
        });
    }
    Ok(())
}

/// 2-D average pooling (PyTorch's `nn.AvgPool2d(kernel, stride, padding,
/// count_include_pad)`, floor mode): the mean of each window, the zero
/// padding counted in the divisor unless `count_include_pad` is off.
///
/// # Shapes
/// - input: `[n, c, h, w]`
/// - output: `[n, c, (h + 2·padding − k) / stride + 1, …]`
///
/// # Example
/// ```
/// use oxilearn::nn::{AvgPool2d, Layer, Mode};
/// use oxilearn::ndarray::Array4;
/// let mut pool = AvgPool2d::new(2)?;
/// let x = Array4::from_shape_fn((1, 1, 2, 2), |(_, _, i, j)| (i * 2 + j) as f32);
/// let y = pool.forward(x.view().into_dyn(), Mode::Eval)?;
/// assert_eq!(y[[0, 0, 0, 0]], 1.5);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct AvgPool2d {
    kernel: usize,
    stride: usize,
    padding: usize,
    count_include_pad: bool,
    core: AvgCore,
}

impl AvgPool2d {
    /// Pooling over `kernel × kernel` windows with stride `kernel`, no
    /// padding (PyTorch's defaults).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `kernel` is 0.
    pub fn new(kernel: usize) -> Result<Self> {
        Self::with_options(kernel, kernel, 0, true)
    }

    /// Pooling with explicit stride, padding (at most `kernel / 2`, as
    /// PyTorch) and divisor rule.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `kernel` or `stride` is 0 or the
    /// padding exceeds half the kernel.
    pub fn with_options(
        kernel: usize,
        stride: usize,
        padding: usize,
        count_include_pad: bool,
    ) -> Result<Self> {
        if kernel == 0 {
            return Err(Error::invalid("kernel", "must be at least 1, got 0"));
        }
        if stride == 0 {
            return Err(Error::invalid("stride", "must be at least 1, got 0"));
        }
        if padding > kernel / 2 {
            return Err(Error::invalid(
                "padding",
                format!("must be at most half the kernel ({kernel}), got {padding}"),
            ));
        }
        Ok(AvgPool2d {
            kernel,
            stride,
            padding,
            count_include_pad,
            core: AvgCore::default(),
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

    /// Zeros added on each side.
    pub fn padding(&self) -> usize {
        self.padding
    }

    /// Whether the padding counts in the divisor.
    pub fn count_include_pad(&self) -> bool {
        self.count_include_pad
    }

    fn out_size(&self, s: &[usize]) -> Result<(usize, usize)> {
        let (k, st, p) = (self.kernel, self.stride, self.padding);
        if s.len() != 4 || s[2] + 2 * p < k || s[3] + 2 * p < k {
            return Err(Error::ShapeMismatch {
                what: "avg-pool input [n, c, h, w] (h, w ≥ kernel − 2·padding)",
                expected: vec![usize::MAX, usize::MAX, k - 2 * p, k - 2 * p],
                got: s.to_vec(),
            });
        }
        Ok(((s[2] + 2 * p - k) / st + 1, (s[3] + 2 * p - k) / st + 1))
    }
}

impl Layer for AvgPool2d {
    fn kind(&self) -> &str {
        "AvgPool2d"
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let (oh, ow) = self.out_size(input)?;
        Ok(vec![input[0], input[1], oh, ow])
    }

    fn forward(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        self.out_size(x.shape())?;
        let (k, s, p, inc) = (
            self.kernel,
            self.stride,
            self.padding,
            self.count_include_pad,
        );
        self.core.rows = Windows::fixed(x.shape()[2], k, s, p, inc);
        self.core.cols = Windows::fixed(x.shape()[3], k, s, p, inc);
        self.core.forward(x, mode)
    }

    fn backward(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<ArrayViewD<'_, f32>> {
        self.core.backward(grad_output, true)?;
        Ok(self.core.grad_input.view())
    }

    fn backward_params(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<()> {
        self.core.backward(grad_output, false)
    }

    fn fresh(&self) -> Box<dyn Layer> {
        Box::new(AvgPool2d {
            kernel: self.kernel,
            stride: self.stride,
            padding: self.padding,
            count_include_pad: self.count_include_pad,
            core: AvgCore::default(),
        })
    }
}

/// Adaptive average pooling to a fixed output size (PyTorch's
/// `nn.AdaptiveAvgPool2d`): output cell `(i, j)` averages input rows
/// `⌊i·h/oh⌋ .. ⌈(i+1)·h/oh⌉` and the matching columns. With output size
/// 1 × 1 it is *global average pooling* (ResNet's last pooling).
///
/// # Shapes
/// - input: `[n, c, h, w]`
/// - output: `[n, c, oh, ow]`
///
/// # Example
/// ```
/// use oxilearn::nn::{AdaptiveAvgPool2d, Layer, Mode};
/// use oxilearn::ndarray::Array4;
/// let mut gap = AdaptiveAvgPool2d::global();
/// let x = Array4::from_shape_fn((2, 3, 4, 4), |(_, c, _, _)| c as f32);
/// let y = gap.forward(x.view().into_dyn(), Mode::Eval)?;
/// assert_eq!(y.shape(), &[2, 3, 1, 1]);
/// assert_eq!(y[[1, 2, 0, 0]], 2.0);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct AdaptiveAvgPool2d {
    out_h: usize,
    out_w: usize,
    core: AvgCore,
}

impl AdaptiveAvgPool2d {
    /// Pooling to `out_h × out_w`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if a size is 0.
    pub fn new(out_h: usize, out_w: usize) -> Result<Self> {
        if out_h == 0 || out_w == 0 {
            return Err(Error::invalid(
                "output_size",
                format!("must be at least 1 × 1, got {out_h} × {out_w}"),
            ));
        }
        Ok(AdaptiveAvgPool2d {
            out_h,
            out_w,
            core: AvgCore::default(),
        })
    }

    /// Global average pooling (output size 1 × 1).
    pub fn global() -> Self {
        AdaptiveAvgPool2d {
            out_h: 1,
            out_w: 1,
            core: AvgCore::default(),
        }
    }

    /// The output size `(oh, ow)`.
    pub fn output_size(&self) -> (usize, usize) {
        (self.out_h, self.out_w)
    }
}

impl Layer for AdaptiveAvgPool2d {
    fn kind(&self) -> &str {
        "AdaptiveAvgPool2d"
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        check_4d("adaptive avg-pool input [n, c, h, w] (h, w ≥ 1)", input, 1)?;
        Ok(vec![input[0], input[1], self.out_h, self.out_w])
    }

    fn forward(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        self.output_shape(x.shape())?;
        self.core.rows = Windows::adaptive(x.shape()[2], self.out_h);
        self.core.cols = Windows::adaptive(x.shape()[3], self.out_w);
        self.core.forward(x, mode)
    }

    fn backward(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<ArrayViewD<'_, f32>> {
        self.core.backward(grad_output, true)?;
        Ok(self.core.grad_input.view())
    }

    fn backward_params(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<()> {
        self.core.backward(grad_output, false)
    }

    fn fresh(&self) -> Box<dyn Layer> {
        Box::new(AdaptiveAvgPool2d {
            out_h: self.out_h,
            out_w: self.out_w,
            core: AvgCore::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_windows_cover_the_input_like_pytorch() {
        // PyTorch: start = floor(i*n/out), end = ceil((i+1)*n/out).
        let w = Windows::adaptive(5, 3);
        assert_eq!(w.start, [0, 1, 3]);
        assert_eq!(w.end, [2, 4, 5]);
        let w = Windows::adaptive(7, 1);
        assert_eq!((w.start[0], w.end[0]), (0, 7));
    }

    #[test]
    fn fixed_windows_clip_to_the_input_and_count_the_padding() {
        let w = Windows::fixed(5, 3, 2, 1, true);
        assert_eq!(w.start, [0, 1, 3]);
        assert_eq!(w.end, [2, 4, 5]);
        assert_eq!(w.count, [3, 3, 3]);
        let w = Windows::fixed(5, 3, 2, 1, false);
        assert_eq!(w.count, [2, 3, 2]);
    }
}
