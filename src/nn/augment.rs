//! Data augmentation for image batches: [`Augment`].

use ndarray::{ArrayViewMut4, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Random transformations of training images and per-channel
/// normalisation, applied to `[n, c, h, w]` batches in place, in
/// torchvision's order: random crop with zero padding
/// (`RandomCrop(size, padding)` at the image's own size), horizontal flip
/// (`RandomHorizontalFlip(p)`), then normalisation (`Normalize(mean, std)`).
///
/// Reproducible: the random draws come from a seed
/// ([`apply_seeded`](Self::apply_seeded)); the training loop derives one
/// per batch from its seed, the epoch and the batch index, so a run is the
/// same on any machine and thread count, and resumes identically from a
/// checkpoint.
///
/// # Example
/// ```
/// use oxilearn::nn::Augment;
/// use oxilearn::ndarray::Array4;
/// let aug = Augment::new()
///     .random_crop(4)
///     .horizontal_flip(0.5)?
///     .normalize(&[0.49, 0.48, 0.45], &[0.25, 0.24, 0.26])?;
/// let mut batch = Array4::<f32>::from_elem((8, 3, 32, 32), 0.5);
/// aug.apply_seeded(batch.view_mut(), 7)?;
/// let mut again = Array4::<f32>::from_elem((8, 3, 32, 32), 0.5);
/// aug.apply_seeded(again.view_mut(), 7)?;
/// assert_eq!(batch, again);
/// // Validation images get the normalisation only.
/// let mut val = Array4::<f32>::from_elem((2, 3, 32, 32), 0.49);
/// aug.normalize_only(val.view_mut())?;
/// assert!(val[[0, 0, 5, 5]].abs() < 1e-6);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Augment {
    crop_padding: Option<usize>,
    flip: Option<f64>,
    normalize: Option<(Vec<f32>, Vec<f32>)>,
}

impl Augment {
    /// No transformation.
    pub fn new() -> Self {
        Self::default()
    }

    /// Crops every image back to its size at a uniformly random offset
    /// after padding it with `padding` zeros on each side (CIFAR's usual
    /// augmentation is 4).
    pub fn random_crop(mut self, padding: usize) -> Self {
        self.crop_padding = Some(padding);
        self
    }

    /// Mirrors each image left–right with probability `p`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `0 ≤ p ≤ 1`.
    pub fn horizontal_flip(mut self, p: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::invalid("p", format!("must be in [0, 1], got {p}")));
        }
        self.flip = Some(p);
        Ok(self)
    }

    /// Normalises channel `c` to `(x − mean[c]) / std[c]`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `mean` and `std` differ in length;
    /// [`Error::InvalidParameter`] for a non-finite mean or a standard
    /// deviation that is not positive and finite.
    pub fn normalize(mut self, mean: &[f32], std: &[f32]) -> Result<Self> {
        if mean.len() != std.len() {
            return Err(Error::ShapeMismatch {
                what: "std (one per channel, as mean)",
                expected: vec![mean.len()],
                got: vec![std.len()],
            });
        }
        if let Some(m) = mean.iter().find(|m| !m.is_finite()) {
            return Err(Error::invalid("mean", format!("must be finite, got {m}")));
        }
        if let Some(s) = std.iter().find(|s| !(**s > 0.0 && s.is_finite())) {
            return Err(Error::invalid(
                "std",
                format!("must be positive and finite, got {s}"),
            ));
        }
        self.normalize = Some((mean.to_vec(), std.to_vec()));
        Ok(self)
    }

    /// Whether any random transformation is configured.
    pub fn is_random(&self) -> bool {
        self.crop_padding.is_some_and(|p| p > 0) || self.flip.is_some_and(|p| p > 0.0)
    }

    fn check(&self, c: usize) -> Result<()> {
        if let Some((mean, _)) = &self.normalize
            && mean.len() != c
        {
            return Err(Error::ShapeMismatch {
                what: "images [n, c, h, w] (c = the normalisation's channels)",
                expected: vec![usize::MAX, mean.len(), usize::MAX, usize::MAX],
                got: vec![usize::MAX, c, usize::MAX, usize::MAX],
            });
        }
        Ok(())
    }

    /// Applies the transformations to `batch` with draws from a stream
    /// seeded by `seed` (per image: the crop offsets, then the flip).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the batch's channels differ from the
    /// normalisation's.
    pub fn apply_seeded(&self, mut batch: ArrayViewMut4<'_, f32>, seed: u64) -> Result<()> {
        self.check(batch.shape()[1])?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (h, w) = (batch.shape()[2], batch.shape()[3]);
        let mut plane = vec![0.0f32; h * w];
        for mut img in batch.axis_iter_mut(Axis(0)) {
            let offset = self.crop_padding.map(|p| {
                let dy = rng.random_range(0..=2 * p) as isize - p as isize;
                let dx = rng.random_range(0..=2 * p) as isize - p as isize;
                (dy, dx)
            });
            let flip = self.flip.is_some_and(|p| rng.random::<f64>() < p);
            for mut ch in img.axis_iter_mut(Axis(0)) {
                if let Some((dy, dx)) = offset
                    && (dy, dx) != (0, 0)
                {
                    // out[y][x] = in[y + dy][x + dx], zero outside.
                    for y in 0..h {
                        for x in 0..w {
                            let (sy, sx) = (y as isize + dy, x as isize + dx);
                            plane[y * w + x] =
                                if sy >= 0 && sx >= 0 && (sy as usize) < h && (sx as usize) < w {
                                    ch[[sy as usize, sx as usize]]
                                } else {
                                    0.0
                                };
                        }
                    }
                    for (d, s) in ch.iter_mut().zip(&plane) {
                        *d = *s;
                    }
                }
                if flip {
                    for mut row in ch.rows_mut() {
                        let n = row.len();
                        for x in 0..n / 2 {
                            row.swap(x, n - 1 - x);
                        }
                    }
                }
            }
        }
        self.normalize_only(batch)
    }

    /// Applies only the normalisation (what validation and test images
    /// get).
    ///
    /// # Errors
    /// As [`apply_seeded`](Self::apply_seeded).
    pub fn normalize_only(&self, mut batch: ArrayViewMut4<'_, f32>) -> Result<()> {
        self.check(batch.shape()[1])?;
        if let Some((mean, std)) = &self.normalize {
            for mut img in batch.axis_iter_mut(Axis(0)) {
                for (mut ch, (&m, &s)) in img.axis_iter_mut(Axis(0)).zip(mean.iter().zip(std)) {
                    ch.mapv_inplace(|v| (v - m) / s);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array4;

    #[test]
    fn crop_shifts_with_zero_fill_and_flip_mirrors() {
        let x = Array4::from_shape_fn((64, 1, 4, 5), |(_, _, i, j)| (i * 5 + j + 1) as f32);
        let mut y = x.clone();
        Augment::new()
            .random_crop(1)
            .horizontal_flip(0.5)
            .unwrap()
            .apply_seeded(y.view_mut(), 3)
            .unwrap();
        let (mut shifted, mut flipped) = (0, 0);
        for img in y.outer_iter() {
            let img = img.index_axis(Axis(0), 0);
            // Every pixel is 0 (padding) or an input value, and the
            // non-zero ones form a shifted (maybe mirrored) copy: recover
            // the shift from where value v landed.
            let nz: Vec<_> = img.indexed_iter().filter(|(_, v)| **v != 0.0).collect();
            assert!(nz.len() >= 3 * 4);
            let ((i, j), &v) = nz[0];
            let (si, sj) = (((v as usize) - 1) / 5, ((v as usize) - 1) % 5);
            let row_ok = |flip: bool| {
                nz.iter().all(|&((a, b), &u)| {
                    let (ua, ub) = (((u as usize) - 1) / 5, ((u as usize) - 1) % 5);
                    let db = if flip {
                        (4 - b) as isize - (4 - j) as isize
                    } else {
                        b as isize - j as isize
                    };
                    ua as isize - si as isize == a as isize - i as isize
                        && ub as isize - sj as isize == db
                })
            };
            let f = if row_ok(false) {
                false
            } else {
                assert!(row_ok(true), "neither a shift nor a mirrored shift");
                true
            };
            flipped += usize::from(f);
            shifted += usize::from(nz.len() < 20);
        }
        assert!((16..=48).contains(&flipped), "{flipped} of 64 flipped");
        assert!(shifted > 20, "{shifted} of 64 shifted");
    }

    #[test]
    fn normalisation_checks_channels() {
        let a = Augment::new().normalize(&[0.5, 0.5], &[0.5, 0.25]).unwrap();
        let mut x = Array4::<f32>::from_elem((1, 2, 1, 1), 1.0);
        a.normalize_only(x.view_mut()).unwrap();
        assert_eq!(x.as_slice().unwrap(), &[1.0, 2.0]);
        let mut x3 = Array4::<f32>::zeros((1, 3, 1, 1));
        assert!(matches!(
            a.apply_seeded(x3.view_mut(), 0),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(Augment::new().normalize(&[0.0], &[0.0]).is_err());
        assert!(Augment::new().horizontal_flip(1.5).is_err());
    }
}
