//! The batch-parallel training pass of [`Sequential::train_step`]
//! (crate-internal).
//!
//! A batch is cut into near-equal chunks of at most [`CHUNK`] images, their
//! sizes fixed by the batch size alone (independent of the thread count).
//! Each chunk runs the whole network on
//! one thread — forward through every layer, its rows of the loss, backward
//! through every layer — writing into its own slices of the layers' batch
//! buffers, so a chunk's activations stay in that core's cache and the only
//! synchronisation is one fork/join per step (instead of one per layer and
//! direction). Parameter gradients are reduced after the join, in a fixed
//! order: each convolution sums its per-chunk partials in chunk order, and
//! each fully connected layer computes `gᵀ·x` over the whole batch. Results
//! are therefore the same on any number of threads. (Evaluation stays layer
//! by layer: measured, the chunked forward pass was no faster there — its
//! fully connected layers lose the large batch GEMMs.)
//!
//! A large fully connected layer (at least [`WHOLE_BATCH_WEIGHTS`] weights)
//! and every layer after it form the network's *tail*, which runs on the
//! whole batch instead: each chunk would stream the layer's weights from
//! memory for a few rows each (the Keras MNIST network's first dense layer
//! holds 6.4 MB of weights, 10 multiply-adds per weight and chunk). The pass
//! then runs the chunks forward through the head, the tail forward, the loss
//! and the tail backward on the whole batch (each fully connected product
//! cut into fixed blocks of 32 rows, in parallel), and the chunks
//! backward through the head. With the register kernels (AVX2 and FMA)
//! every output element is computed in the same order either way, so the
//! split changes no bit; the portable path's general GEMM may order its
//! sums by shape. Either way the result does not depend on the thread
//! count: the blocks are fixed by the batch size.
//!
//! [`Sequential::train_step`]: super::Sequential::train_step

use rayon::prelude::*;

use super::buf::{Buf, pieces, pieces_mut};
use super::layers::{
    ActKind, Builtin, ConvKernel, ConvSink, Layer, LinearKernel, LinearSink, PoolKernel,
    act_backward_chunk, act_chunk, builtin, chunking, mask_chunk,
};
use super::loss::{LossStats, check_targets, cross_entropy_rows};
use crate::error::{Error, Result};

/// The layers of a network.
type Layers = [(String, Box<dyn Layer>)];

/// Images per chunk: small enough that a chunk's activations and gradients
/// stay in a core's L2 cache, large enough that the per-chunk weight-gradient
/// partials of the convolutions and the GEMM calls of the fully connected
/// layers stay cheap.
pub(crate) const CHUNK: usize = 10;

/// Output rows per task of a fully connected layer's weight gradient.
const FC_GRAD_ROWS: usize = 32;

/// Weights from which a fully connected layer starts the whole-batch tail
/// of the pass (2¹⁸, 1 MiB of `f32`: more than a core's share of L2, where
/// a chunk's rows no longer amortise reading the weights).
const WHOLE_BATCH_WEIGHTS: usize = 1 << 18;

/// One parameter-gradient reduction.
enum GradTask<'a> {
    Conv(ConvSink<'a>),
    Linear(LinearSink<'a>, &'a [f32], &'a [f32]),
}

/// Which layers a stage covers: one layer, or a ReLU fused with the
/// following max pooling (`first` the ReLU, `first + 1` the pooling).
#[derive(Debug, Clone, Copy)]
struct Stage {
    first: usize,
    fused: bool,
}

impl Stage {
    /// The layer holding the stage's output.
    fn last(&self) -> usize {
        self.first + usize::from(self.fused)
    }
}

/// What a stage computes, shared by every chunk.
enum Kernel<'a> {
    Conv(ConvKernel<'a>),
    Pool(PoolKernel),
    Act(ActKind),
    Copy,
    Linear(LinearKernel<'a>),
    Dropout,
}

/// One stage's slices of the batch buffers for one chunk (empty where the
/// stage has no such buffer).
#[derive(Default)]
struct Io<'a> {
    out: &'a mut [f32],
    gin: &'a mut [f32],
    argmax: &'a mut [u32],
    part: &'a mut [f32],
    mask: &'a [f32],
}

/// One stage's whole-batch buffers (empty where the stage has no such
/// buffer), cut into each chunk's [`Io`] by [`cut`].
#[derive(Default)]
struct Bufs<'a> {
    out: &'a mut [f32],
    gin: &'a mut [f32],
    argmax: &'a mut [u32],
    /// A convolution's weight-gradient partials, one of `part_len` per chunk.
    part: &'a mut [f32],
    part_len: usize,
    mask: &'a [f32],
    /// Elements per image of the stage's input and output.
    in_img: usize,
    out_img: usize,
}

/// `bufs` cut into the slices of each of `n_chunks` chunks of `len` images
/// (`[c][s]`: chunk `c`, stage `s`).
fn cut<'b>(bufs: &'b mut [Bufs<'_>], len: usize, n_chunks: usize) -> Vec<Vec<Io<'b>>> {
    let mut per_chunk: Vec<Vec<Io<'b>>> = (0..n_chunks)
        .map(|_| Vec::with_capacity(bufs.len()))
        .collect();
    for b in bufs.iter_mut() {
        let (in_len, out_len) = (len * b.in_img, len * b.out_img);
        let parts = pieces_mut(b.part, b.part_len);
        for (chunk, ((((out, gin), argmax), part), mask)) in per_chunk.iter_mut().zip(
            pieces_mut(b.out, out_len)
                .zip(pieces_mut(b.gin, in_len))
                .zip(pieces_mut(b.argmax, out_len))
                .zip(parts)
                .zip(pieces(b.mask, out_len)),
        ) {
            chunk.push(Io {
                out,
                gin,
                argmax,
                part,
                mask,
            });
        }
    }
    per_chunk
}

/// Whether every layer has a pipelined path (built-in convolution,
/// pooling, element-wise activation, flattening, fully connected and
/// dropout layers).
pub(crate) fn supported(layers: &mut Layers) -> bool {
    layers
        .iter_mut()
        .all(|(_, l)| builtin(l.as_mut()).is_some())
}

/// The built-in views of `layers` (see [`supported`]).
fn nodes(layers: &mut Layers) -> Vec<Builtin<'_>> {
    layers
        .iter_mut()
        .map(|(_, l)| builtin(l.as_mut()).expect("a pipelined network"))
        .collect()
}

/// Forward pass, mean softmax cross-entropy against `targets` and backward
/// pass of `layers` (all [`supported`]) on the batch `x` (`shape`, standard
/// layout), in chunks in parallel: every layer's output and every parameter
/// gradient is written; `loss_grad` receives the gradient w.r.t. the logits.
///
/// # Errors
/// [`Error::EmptyInput`] without layers; a layer's [`Error::ShapeMismatch`]
/// for an input it does not take; the loss's errors for bad targets or
/// logits that are not `[n, classes]`. On error no kernel has run and no
/// gradient is written, but the layers' buffers may have been resized for
/// this batch (their cached forward state is then invalid, and a
/// [`Dropout`](super::Dropout) has drawn its mask).
pub(crate) fn train_pass(
    layers: &mut Layers,
    x: &[f32],
    shape: &[usize],
    targets: &[usize],
    loss_grad: &mut Buf,
) -> Result<LossStats> {
    train_pass_with(layers, x, shape, targets, loss_grad, WHOLE_BATCH_WEIGHTS)
}

/// [`train_pass`] with the whole-batch tail starting at the first fully
/// connected layer of at least `whole_batch_weights` weights.
fn train_pass_with(
    layers: &mut Layers,
    x: &[f32],
    shape: &[usize],
    targets: &[usize],
    loss_grad: &mut Buf,
    whole_batch_weights: usize,
) -> Result<LossStats> {
    let mut nodes = nodes(layers);
    let stages = stages(&nodes)?;
    let n = shape.first().copied().unwrap_or(0);
    let (len, n_chunks) = even_chunking(n);
    let shapes = plan_all(&mut nodes, &stages, shape, n_chunks)?;
    let logits_shape = shapes.last().expect("output shape");
    if logits_shape.len() != 2 {
        return Err(Error::ShapeMismatch {
            what: "network output (logits [n, classes])",
            expected: vec![targets.len(), usize::MAX],
            got: logits_shape.clone(),
        });
    }
    let classes = logits_shape[1];
    check_targets(n, classes, targets)?;
    let inv_n = 1.0 / n as f64;
    let lg = loss_grad.reshape(logits_shape);
    let (kernels, mut bufs) = split_all(nodes, &stages, &shapes);
    let t = tail_start(&kernels, whole_batch_weights);
    let x_chunks: Vec<&[f32]> = pieces(x, len * img(shape)).take(n_chunks).collect();
    let results: Vec<(f64, usize)> = if t == kernels.len() {
        cut(&mut bufs, len, n_chunks)
            .into_par_iter()
            .zip(x_chunks)
            .zip(lg.par_chunks_mut((len * classes).max(1)))
            .zip(targets.par_chunks(len.max(1)))
            .map(|(((mut io, xc), gc), tc)| {
                run_chunk(&kernels, &mut io, xc, gc, tc, classes, inv_n)
            })
            .collect()
    } else {
        let (head, tail) = kernels.split_at(t);
        let (hb, tb) = bufs.split_at_mut(t);
        if t > 0 {
            cut(hb, len, n_chunks)
                .into_par_iter()
                .zip(x_chunks.par_iter())
                .for_each(|(mut io, xc)| forward_chunk(head, &mut io, xc, false));
        }
        let tail_x: &[f32] = hb.last().map_or(x, |b| &*b.out);
        let mut io = cut(tb, n, 1).pop().expect("one piece");
        forward_chunk(tail, &mut io, tail_x, true);
        // The loss rows in the chunks' order, as without a tail.
        let logits = &*io.last().expect("a last stage").out;
        let results = pieces(logits, len * classes)
            .zip(lg.chunks_mut((len * classes).max(1)))
            .zip(targets.chunks(len.max(1)))
            .map(|((l, gc), tc)| cross_entropy_rows(l, classes, tc, inv_n, gc))
            .collect();
        backward_chunk(tail, &mut io, tail_x, lg, t > 0, true);
        drop(io);
        if t > 0 {
            let gout = &*tb[0].gin;
            cut(hb, len, n_chunks)
                .into_par_iter()
                .zip(x_chunks)
                .zip(
                    pieces(gout, len * tb[0].in_img)
                        .take(n_chunks)
                        .collect::<Vec<_>>(),
                )
                .for_each(|((mut io, xc), gc)| backward_chunk(head, &mut io, xc, gc, false, false));
        }
        results
    };
    drop(kernels);

    // Parameter gradients, each reduced in a fixed order, layers (and row
    // blocks of the fully connected ones) in parallel.
    let mut sinks = Vec::with_capacity(layers.len());
    let (mut outs, mut gins) = (Vec::new(), Vec::new());
    for node in self::nodes(layers) {
        let (sink, out, gin) = grad_parts(node);
        sinks.push(sink);
        outs.push(out);
        gins.push(gin);
    }
    let lg: &[f32] = loss_grad.as_slice();
    let mut tasks = Vec::new();
    for (s, st) in stages.iter().enumerate() {
        match sinks[st.first].take() {
            Some(Sink::Conv(c)) => tasks.push(GradTask::Conv(c)),
            Some(Sink::Linear(l)) => {
                let input = if s == 0 {
                    x
                } else {
                    outs[stages[s - 1].last()]
                };
                let gout = stages.get(s + 1).map_or(lg, |next| gins[next.first]);
                for part in l.split(FC_GRAD_ROWS) {
                    tasks.push(GradTask::Linear(part, input, gout));
                }
            }
            None => {}
        }
    }
    tasks.into_par_iter().for_each(|t| match t {
        GradTask::Conv(c) => c.reduce(),
        GradTask::Linear(l, x, g) => l.compute(x, g),
    });

    let (mut total, mut correct) = (0.0, 0);
    for (l, c) in results {
        total += l;
        correct += c;
    }
    Ok(LossStats {
        loss: total * inv_n,
        correct,
    })
}

/// A layer's parameter gradients for the batch-parallel pass.
enum Sink<'a> {
    /// Summed from the chunk partials.
    Conv(ConvSink<'a>),
    /// Computed over the whole batch.
    Linear(LinearSink<'a>),
}

/// Where a layer's parameter gradients go, with its output and
/// input-gradient buffers.
fn grad_parts(node: Builtin<'_>) -> (Option<Sink<'_>>, &[f32], &[f32]) {
    match node {
        Builtin::Conv2d(c) => {
            let (s, o, g) = c.grad_parts();
            (Some(Sink::Conv(s)), o, g)
        }
        Builtin::Linear(l) => {
            let (s, o, g) = l.grad_parts();
            (Some(Sink::Linear(s)), o, g)
        }
        Builtin::MaxPool2d(p) => {
            let (_, o, _, g) = p.split();
            (None, o, g)
        }
        Builtin::Relu(r) => {
            let (o, g) = r.core_split();
            (None, o, g)
        }
        Builtin::Act(a) => {
            let (o, g) = a.split();
            (None, o, g)
        }
        Builtin::Flatten(f) => {
            let (o, g) = f.split();
            (None, o, g)
        }
        Builtin::Dropout(d) => {
            let (_, o, g) = d.split();
            (None, o, g)
        }
    }
}

/// `n` images in an even number of near-equal chunks of at most about
/// [`CHUNK`] (one chunk for at most [`CHUNK`] images): `(chunk_len,
/// n_chunks)`. Fixed by the batch size alone, so results do not depend on
/// the thread count; an even count splits into equal halves on two threads
/// (a batch of 64 in seven chunks of 10, 10, 10, 10, 10, 10 and 4 left one
/// thread 34 images against 30).
fn even_chunking(n: usize) -> (usize, usize) {
    let (len, n_chunks) = chunking(n, CHUNK);
    if n_chunks <= 1 || n_chunks % 2 == 0 {
        return (len, n_chunks);
    }
    let len = n.div_ceil(n_chunks + 1);
    (len, n.div_ceil(len))
}

/// Elements per image of a batch of `shape`.
fn img(shape: &[usize]) -> usize {
    shape[1..].iter().product()
}

/// Sizes every stage's buffers for a training batch of `shape` (input
/// gradients for every stage but the first);
/// returns the input shape followed by every stage's output shape.
///
/// # Errors
/// [`Error::ShapeMismatch`] for a 0-dimensional input or an input a layer
/// does not take.
fn plan_all(
    nodes: &mut [Builtin<'_>],
    stages: &[Stage],
    shape: &[usize],
    n_chunks: usize,
) -> Result<Vec<Vec<usize>>> {
    if shape.is_empty() {
        return Err(Error::ShapeMismatch {
            what: "network input [n, …] (a batch)",
            expected: vec![usize::MAX],
            got: Vec::new(),
        });
    }
    let mut shapes = vec![shape.to_vec()];
    for (s, st) in stages.iter().enumerate() {
        let out = plan(nodes, st, &shapes[s], s > 0, n_chunks)?;
        shapes.push(out);
    }
    Ok(shapes)
}

/// Every stage's kernel and its planned whole-batch buffers.
fn split_all<'a>(
    nodes: Vec<Builtin<'a>>,
    stages: &[Stage],
    shapes: &[Vec<usize>],
) -> (Vec<Kernel<'a>>, Vec<Bufs<'a>>) {
    let mut kernels = Vec::with_capacity(stages.len());
    let mut bufs = Vec::with_capacity(stages.len());
    let mut nodes = nodes.into_iter();
    for (s, st) in stages.iter().enumerate() {
        let mut b = Bufs {
            in_img: img(&shapes[s]),
            out_img: img(&shapes[s + 1]),
            ..Bufs::default()
        };
        let node = nodes.next().expect("one node per layer");
        let kernel = if st.fused {
            let (Builtin::Relu(r), Some(Builtin::MaxPool2d(p))) = (node, nodes.next()) else {
                unreachable!("fused stages are ReLU → MaxPool2d")
            };
            let (k, out, argmax, _) = p.split();
            (b.out, b.argmax, b.gin) = (out, argmax, r.fused_grad_input());
            Kernel::Pool(k)
        } else {
            let (kernel, out, gin) = match node {
                Builtin::Conv2d(c) => {
                    let (k, out, gin, partials) = c.split();
                    (b.part, b.part_len) = (partials, k.partial_len());
                    (Kernel::Conv(k), out, gin)
                }
                Builtin::MaxPool2d(p) => {
                    let (k, out, argmax, gin) = p.split();
                    b.argmax = argmax;
                    (Kernel::Pool(k), out, gin)
                }
                Builtin::Relu(r) => {
                    let (out, gin) = r.core_split();
                    (Kernel::Act(ActKind::Relu), out, gin)
                }
                Builtin::Act(a) => {
                    let kind = a.act();
                    let (out, gin) = a.split();
                    (Kernel::Act(kind), out, gin)
                }
                Builtin::Flatten(f) => {
                    let (out, gin) = f.split();
                    (Kernel::Copy, out, gin)
                }
                Builtin::Linear(l) => {
                    let (k, out, gin) = l.split();
                    (Kernel::Linear(k), out, gin)
                }
                Builtin::Dropout(d) => {
                    let (mask, out, gin) = d.split();
                    b.mask = mask;
                    (Kernel::Dropout, out, gin)
                }
            };
            (b.out, b.gin) = (out, gin);
            kernel
        };
        kernels.push(kernel);
        bufs.push(b);
    }
    (kernels, bufs)
}

/// The first stage of the whole-batch tail: the first fully connected
/// layer of at least `whole_batch_weights` weights, if no convolution
/// follows it (a convolution's weight gradient is summed from per-chunk
/// partials); `kernels.len()` (no tail) otherwise.
fn tail_start(kernels: &[Kernel<'_>], whole_batch_weights: usize) -> usize {
    let first = kernels
        .iter()
        .position(|k| matches!(k, Kernel::Linear(l) if l.weights() >= whole_batch_weights));
    match first {
        Some(t) if !kernels[t..].iter().any(|k| matches!(k, Kernel::Conv(_))) => t,
        _ => kernels.len(),
    }
}

/// Groups the layers into stages (ReLU → MaxPool2d pairs fused).
///
/// # Errors
/// [`Error::EmptyInput`] without layers.
fn stages(nodes: &[Builtin<'_>]) -> Result<Vec<Stage>> {
    if nodes.is_empty() {
        return Err(Error::EmptyInput {
            what: "network (no layers)",
        });
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < nodes.len() {
        let fused = i + 1 < nodes.len()
            && matches!(
                (&nodes[i], &nodes[i + 1]),
                (Builtin::Relu(_), Builtin::MaxPool2d(_))
            );
        out.push(Stage { first: i, fused });
        i += 1 + usize::from(fused);
    }
    Ok(out)
}

/// Sizes a stage's buffers for an input of `shape`; returns its output shape.
fn plan(
    nodes: &mut [Builtin<'_>],
    st: &Stage,
    shape: &[usize],
    need_input_grad: bool,
    n_chunks: usize,
) -> Result<Vec<usize>> {
    if st.fused {
        let (a, b) = nodes.split_at_mut(st.first + 1);
        let (Builtin::Relu(r), Builtin::MaxPool2d(p)) = (&mut a[st.first], &mut b[0]) else {
            unreachable!("fused stages are ReLU → MaxPool2d")
        };
        let out = p.plan(shape, true, need_input_grad)?;
        r.plan_fused(shape, need_input_grad);
        return Ok(out);
    }
    match &mut nodes[st.first] {
        Builtin::Conv2d(c) => c.plan(shape, need_input_grad, n_chunks),
        Builtin::MaxPool2d(p) => p.plan(shape, false, need_input_grad),
        Builtin::Relu(r) => {
            r.plan_unfused(shape, need_input_grad);
            Ok(shape.to_vec())
        }
        Builtin::Act(a) => {
            a.plan(shape, need_input_grad);
            Ok(shape.to_vec())
        }
        Builtin::Flatten(f) => f.plan(shape, need_input_grad),
        Builtin::Linear(l) => l.plan(shape, need_input_grad),
        Builtin::Dropout(d) => {
            d.plan(shape, need_input_grad)?;
            Ok(shape.to_vec())
        }
    }
}

/// The forward pass of `kernels` on one chunk `x` (`whole`: the whole
/// batch, fully connected products split over threads).
fn forward_chunk(kernels: &[Kernel<'_>], io: &mut [Io<'_>], x: &[f32], whole: bool) {
    for (s, kernel) in kernels.iter().enumerate() {
        let (prev, cur) = io.split_at_mut(s);
        let input: &[f32] = if s == 0 { x } else { prev[s - 1].out };
        let cur = &mut cur[0];
        match kernel {
            Kernel::Conv(k) => k.forward_chunk(input, cur.out),
            Kernel::Pool(k) => k.forward_chunk(input, cur.out, cur.argmax),
            Kernel::Act(kind) => act_chunk(*kind, input, cur.out),
            Kernel::Copy => cur.out.copy_from_slice(input),
            Kernel::Linear(k) if whole => k.forward_batch(input, cur.out),
            Kernel::Linear(k) => k.forward_chunk(input, cur.out),
            Kernel::Dropout => mask_chunk(input, cur.mask, cur.out),
        }
    }
}

/// The backward pass of `kernels` on one chunk, from `gout`, the gradient
/// w.r.t. the last stage's output (`x` the first stage's input; the first
/// stage's input gradient only if `first_gin`; `whole` as in
/// [`forward_chunk`]).
fn backward_chunk(
    kernels: &[Kernel<'_>],
    io: &mut [Io<'_>],
    x: &[f32],
    gout: &[f32],
    first_gin: bool,
    whole: bool,
) {
    let last = kernels.len() - 1;
    for (s, kernel) in kernels.iter().enumerate().rev() {
        let (head, tail) = io.split_at_mut(s + 1);
        let gout: &[f32] = if s == last { gout } else { tail[0].gin };
        let (prev, cur) = head.split_at_mut(s);
        let input: &[f32] = if s == 0 { x } else { prev[s - 1].out };
        let cur = &mut cur[0];
        let gin = (s > 0 || first_gin).then_some(&mut *cur.gin);
        match (kernel, gin) {
            (Kernel::Conv(k), gin) => k.backward_chunk(input, gout, cur.part, gin),
            (_, None) => {}
            (Kernel::Pool(k), Some(gin)) => k.backward_chunk(gout, cur.argmax, cur.out, gin),
            (Kernel::Act(kind), Some(gin)) => act_backward_chunk(*kind, gout, cur.out, input, gin),
            (Kernel::Copy, Some(gin)) => gin.copy_from_slice(gout),
            (Kernel::Linear(k), Some(gin)) if whole => k.input_grad_batch(gout, gin),
            (Kernel::Linear(k), Some(gin)) => k.input_grad_chunk(gout, gin),
            (Kernel::Dropout, Some(gin)) => mask_chunk(gout, cur.mask, gin),
        }
    }
}

/// The whole network on one chunk: forward, loss rows (gradient into `lg`),
/// backward. Returns the chunk's summed loss and correct count.
fn run_chunk(
    kernels: &[Kernel<'_>],
    io: &mut [Io<'_>],
    x: &[f32],
    lg: &mut [f32],
    targets: &[usize],
    classes: usize,
    inv_n: f64,
) -> (f64, usize) {
    forward_chunk(kernels, io, x, false);
    let logits = &*io.last().expect("a last stage").out;
    let stats = cross_entropy_rows(logits, classes, targets, inv_n, lg);
    // The first stage's input gradient is not needed.
    backward_chunk(kernels, io, x, lg, false, false);
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{
        Conv2d, Conv2dConfig, Dropout, Flatten, Gelu, LeNet5, LeakyReLU, Linear, MaxPool2d, Mode,
        Padding, ReLU, Sequential, Sigmoid, Tanh, cross_entropy_with_grad,
    };
    use ndarray::{Array1, Array4, ArrayD, Ix2};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Loss and parameter gradients of the layer-by-layer passes
    /// (`Sequential::forward`, the loss, `Sequential::backward`).
    fn layerwise(net: &mut Sequential, x: &ArrayD<f32>, t: &[usize]) -> (f64, Vec<ArrayD<f32>>) {
        let logits = net.forward(x.view(), Mode::Train).unwrap().to_owned();
        let logits = logits.into_dimensionality::<Ix2>().unwrap();
        let (loss, g) =
            cross_entropy_with_grad(logits.view(), Array1::from(t.to_vec()).view()).unwrap();
        net.backward(g.view()).unwrap();
        let grads = net.params().iter().map(|(_, p)| p.grad().clone()).collect();
        (f64::from(loss), grads)
    }

    fn pipelined(net: &mut Sequential, x: &ArrayD<f32>, t: &[usize]) -> (f64, Vec<ArrayD<f32>>) {
        pipelined_with(net, x, t, WHOLE_BATCH_WEIGHTS)
    }

    /// [`pipelined`] with the whole-batch tail from the first fully
    /// connected layer of at least `whole` weights (0: the first one).
    fn pipelined_with(
        net: &mut Sequential,
        x: &ArrayD<f32>,
        t: &[usize],
        whole: usize,
    ) -> (f64, Vec<ArrayD<f32>>) {
        let mut lg = Buf::default();
        let xs = x.as_slice().unwrap();
        let layers = net.layers_mut_for_tests();
        let s = train_pass_with(layers, xs, x.shape(), t, &mut lg, whole).unwrap();
        let grads = net.params().iter().map(|(_, p)| p.grad().clone()).collect();
        (s.loss, grads)
    }

    /// Whether the fully connected products run in the register kernels
    /// (AVX2 and FMA), whose outputs do not depend on the row count.
    fn register_kernels() -> bool {
        let f = crate::cpu::active();
        f.avx2 && f.fma
    }

    /// Bit-for-bit equality of two passes' losses and gradients.
    fn same_bits(a: &(f64, Vec<ArrayD<f32>>), b: &(f64, Vec<ArrayD<f32>>)) -> bool {
        a.0.to_bits() == b.0.to_bits()
            && a.1.len() == b.1.len()
            && a.1.iter().zip(&b.1).all(|(u, v)| {
                u.shape() == v.shape() && u.iter().zip(v).all(|(p, q)| p.to_bits() == q.to_bits())
            })
    }

    fn nets() -> Vec<(Sequential, [usize; 3])> {
        vec![
            (LeNet5::cifar10().seed(1).build().unwrap(), [3, 32, 32]),
            (LeNet5::mnist().seed(2).build().unwrap(), [1, 28, 28]),
            // Strided convolution (im2col path), unfused ReLU and pooling,
            // dropout, a ReLU fused with an overlapping pooling.
            (
                Sequential::new()
                    .add(
                        "c1",
                        Conv2d::new(
                            2,
                            5,
                            3,
                            Conv2dConfig {
                                stride: 2,
                                padding: Padding::Fixed(1),
                                bias: true,
                            },
                            3,
                        )
                        .unwrap(),
                    )
                    .add("p1", MaxPool2d::new(2).unwrap())
                    .add("r1", ReLU::new())
                    .add(
                        "c2",
                        Conv2d::new(5, 4, 2, Conv2dConfig::default(), 4).unwrap(),
                    )
                    .add("r2", ReLU::new())
                    .add("p2", MaxPool2d::with_stride(2, 1).unwrap())
                    .add("d", Dropout::new(0.3, 5).unwrap())
                    .add("f", Flatten::new())
                    .add("fc1", Linear::new(4 * 2 * 2, 7, 6).unwrap())
                    .add("r3", ReLU::new())
                    .add("fc2", Linear::new(7, 3, 7).unwrap()),
                [2, 15, 16],
            ),
            // Every other element-wise activation, a conv without bias,
            // channel dropout, lazy layers.
            (
                Sequential::new()
                    .seed(5)
                    .add(
                        "c1",
                        Conv2d::lazy(
                            4,
                            3,
                            Conv2dConfig {
                                padding: Padding::Same,
                                bias: false,
                                ..Default::default()
                            },
                        )
                        .unwrap(),
                    )
                    .add("a1", LeakyReLU::new(0.2).unwrap())
                    .add("d2", crate::nn::Dropout2d::new(0.25, 3).unwrap())
                    .add("a2", Gelu::new())
                    .add("p", MaxPool2d::new(2).unwrap())
                    .add("a3", Tanh::new())
                    .add("f", Flatten::new())
                    .add("fc1", Linear::lazy(6).unwrap())
                    .add("a4", Sigmoid::new())
                    .add("fc2", Linear::lazy(3).unwrap())
                    .with_input_shape(&[2, 8, 10])
                    .unwrap(),
                [2, 8, 10],
            ),
        ]
    }

    /// The chunked pass gives the loss and every parameter gradient of the
    /// layer-by-layer passes (up to summation order), for batches around the
    /// chunk size.
    #[test]
    fn matches_the_layerwise_passes() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for (net, [c, h, w]) in nets() {
            let classes = net
                .layers()
                .last()
                .and_then(|(_, l)| l.downcast_ref::<Linear>())
                .map_or(0, |l| l.out_features());
            for n in [1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 1, 23, 70] {
                let x = Array4::from_shape_simple_fn((n, c, h, w), || rng.random_range(-1.0..1.0))
                    .into_dyn();
                let t: Vec<usize> = (0..n).map(|_| rng.random_range(0..classes)).collect();
                let (want_loss, want) = layerwise(&mut net.clone(), &x, &t);
                let (loss, got) = pipelined(&mut net.clone(), &x, &t);
                // The whole-batch tail (here from the first fully connected
                // layer) changes no bit with the register kernels; the
                // portable path's general GEMM may order its sums by shape.
                let tail = pipelined_with(&mut net.clone(), &x, &t, 0);
                if register_kernels() {
                    assert!(same_bits(&tail, &(loss, got.clone())), "tail, n={n}");
                } else {
                    assert!((tail.0 - want_loss).abs() <= 1e-6 * want_loss.abs());
                    assert_eq!(tail.1.len(), want.len());
                    for (a, b) in tail.1.iter().zip(&want) {
                        let scale = b.iter().fold(1e-3f32, |m, v| m.max(v.abs()));
                        assert!(a.iter().zip(b).all(|(u, v)| (u - v).abs() <= 1e-5 * scale));
                    }
                }
                assert!(
                    (loss - want_loss).abs() <= 1e-6 * want_loss.abs(),
                    "loss n={n}"
                );
                assert_eq!(got.len(), want.len());
                for (i, (a, b)) in got.iter().zip(&want).enumerate() {
                    let scale = b.iter().fold(1e-3f32, |m, v| m.max(v.abs()));
                    for (u, v) in a.iter().zip(b) {
                        assert!(
                            (u - v).abs() <= 1e-5 * scale,
                            "param {i}, n={n}: {u} vs {v}"
                        );
                    }
                }
            }
        }
    }

    /// Images of zero elements (a fully connected layer without input
    /// features) still give the loss of the bias logits and its gradient.
    #[test]
    fn zero_feature_inputs_train_the_bias() {
        let fc = Linear::from_weights(
            ndarray::Array2::zeros((3, 0)),
            Some(ndarray::arr1(&[1.0, 2.0, 3.0])),
        )
        .unwrap();
        let net = Sequential::new().add("fc", fc);
        let x = ndarray::Array2::<f32>::zeros((4, 0)).into_dyn();
        let t = [0, 1, 2, 0];
        let (want_loss, want) = layerwise(&mut net.clone(), &x, &t);
        let (loss, got) = pipelined(&mut net.clone(), &x, &t);
        let tail = pipelined_with(&mut net.clone(), &x, &t, 0);
        if register_kernels() {
            assert!(same_bits(&tail, &(loss, got.clone())));
        } else {
            assert!((tail.0 - loss).abs() <= 1e-6 * loss);
            for (u, v) in tail.1[1].iter().zip(&got[1]) {
                assert!((u - v).abs() <= 1e-6, "{u} vs {v}");
            }
        }
        assert!(want_loss > 0.5);
        assert!((loss - want_loss).abs() <= 1e-6 * want_loss);
        assert_eq!(got[1].shape(), [3]);
        for (u, v) in got[1].iter().zip(&want[1]) {
            assert!((u - v).abs() <= 1e-6, "{u} vs {v}");
        }
        let y = net
            .clone()
            .forward(x.view(), Mode::Eval)
            .unwrap()
            .to_owned();
        assert_eq!(y.as_slice().unwrap(), &[1.0, 2.0, 3.0].repeat(4)[..]);
    }

    /// A 0-dimensional input is a shape error in both passes, not a panic.
    #[test]
    fn zero_dimensional_input_is_a_shape_mismatch() {
        let mut net = Sequential::new()
            .add("r", ReLU::new())
            .add("fc", Linear::new(1, 2, 0).unwrap());
        let x = ndarray::arr0(1.0f32).into_dyn();
        assert!(matches!(
            net.forward(x.view(), Mode::Eval),
            Err(crate::Error::ShapeMismatch { .. })
        ));
        let mut opt = crate::nn::Sgd::new(0.1);
        assert!(matches!(
            net.train_step(x.view(), &[0], &mut opt),
            Err(crate::Error::ShapeMismatch { .. })
        ));
    }

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    /// The same bits on 1 and 3 threads.
    #[test]
    fn bit_identical_on_any_thread_count() {
        let mut rng = ChaCha8Rng::seed_from_u64(10);
        for (net, [c, h, w]) in nets() {
            let n = 70;
            let x = Array4::from_shape_simple_fn((n, c, h, w), || rng.random_range(-1.0..1.0))
                .into_dyn();
            let t: Vec<usize> = (0..n).map(|i| i % 3).collect();
            for whole in [WHOLE_BATCH_WEIGHTS, 0] {
                let run = |threads: usize| {
                    pool(threads).install(|| pipelined_with(&mut net.clone(), &x, &t, whole))
                };
                assert!(same_bits(&run(1), &run(3)), "whole-batch weights {whole}");
            }
        }
    }
}
