use super::super::{
    Geom, col2im, gemm_forward_chunk as conv_forward_gemm, im2col, isas, padded_dims,
};
use super::*;
use crate::nn::layers::chunking;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Images per parallel task of the whole-batch wrappers the tests use.
const FWD_CHUNK: usize = 2;

/// Forward pass of a whole batch (`x` NCHW images, `w` `[oc, c, kh, kw]`,
/// `out` NCHW outputs, overwritten), fixed chunks in parallel.
fn forward_isa(isa: Isa, g: &Geom, x: &[f32], w: &[f32], bias: Option<&[f32]>, out: &mut [f32]) {
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
fn reference_grads(g: &Geom, x: &[f32], w: &[f32], gout: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let n = x.len() / g.in_len();
    let (k, p) = (g.k(), g.p());
    let np = n * p;
    let mut cols = vec![0.0; k * np];
    let (ph, pw) = padded_dims(g);
    im2col(g, x, n, &mut cols, &mut vec![0.0; ph * pw]);
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
    col2im(g, &dcols, n, &mut dx, &mut vec![0.0; ph * pw]);
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
