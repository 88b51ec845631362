//! A batching data loader that prepares the next batch on another thread:
//! [`DataLoader`].

use std::sync::mpsc;

use ndarray::{ArrayView1, ArrayView4, ArrayViewMut4, CowArray, Ix4};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::augment::Augment;
use super::labels::ClassIndex;
use super::layers::derive_seed;
use crate::error::{Error, Result};

/// One batch of a [`DataLoader`] epoch.
///
/// # Example
/// ```
/// use oxilearn::nn::DataLoader;
/// use oxilearn::ndarray::{Array1, Array4};
/// let x = Array4::<f32>::zeros((10, 1, 2, 2));
/// let y = Array1::from(vec![0u8; 10]);
/// let loader = DataLoader::new(x.view(), y.view(), 4)?;
/// loader.for_each_batch(0, |b| {
///     assert_eq!(b.images.shape()[0], b.targets.len());
///     Ok(())
/// })?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug)]
pub struct Batch<'b> {
    /// Position of the batch in its epoch, from 0.
    pub index: usize,
    /// The images `[batch, c, h, w]` (augmented, if the loader augments).
    pub images: ArrayView4<'b, f32>,
    /// Their class indices.
    pub targets: &'b [usize],
}

/// Cuts images and labels into mini-batches for an epoch: shuffled (a
/// permutation drawn from the loader's seed and the epoch number, so any
/// epoch can be replayed on its own), gathered into contiguous batches,
/// augmented (from a seed derived per batch) — on a second thread that
/// prepares the next `prefetch` batches while the current one trains.
/// The batches, and therefore training, are identical whether the work is
/// prefetched or not.
///
/// # Example
/// ```
/// use oxilearn::nn::{Augment, DataLoader};
/// use oxilearn::ndarray::{Array1, Array4};
/// let x = Array4::from_shape_fn((100, 3, 8, 8), |(n, ..)| n as f32);
/// let y = Array1::from_shape_fn(100, |n| (n % 10) as u8);
/// let loader = DataLoader::new(x.view(), y.view(), 32)?
///     .seed(7)
///     .augment(Augment::new().horizontal_flip(0.5)?);
/// assert_eq!(loader.n_batches(), 4);
/// let mut seen = 0;
/// loader.for_each_batch(0, |b| {
///     // labels stay with their images
///     for (img, &t) in b.images.outer_iter().zip(b.targets) {
///         assert_eq!(img[[0, 0, 0]] as usize % 10, t);
///     }
///     seen += b.targets.len();
///     Ok(())
/// })?;
/// assert_eq!(seen, 100);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DataLoader<'a> {
    x: CowArray<'a, f32, Ix4>,
    targets: Vec<usize>,
    batch_size: usize,
    shuffle: bool,
    seed: u64,
    drop_last: bool,
    augment: Option<Augment>,
    prefetch: usize,
}

impl<'a> DataLoader<'a> {
    /// Batches of `batch_size` images of `x` `[n, c, h, w]` with class
    /// labels `y` (`usize`, `u8` …); shuffled with seed 0, the last batch
    /// kept even if smaller, two batches prefetched.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a zero batch size or a label that is
    /// not a class index; [`Error::ShapeMismatch`] if `y` does not have one
    /// label per image; [`Error::EmptyInput`] without images.
    pub fn new<L: ClassIndex>(
        x: ArrayView4<'a, f32>,
        y: ArrayView1<'_, L>,
        batch_size: usize,
    ) -> Result<Self> {
        if batch_size == 0 {
            return Err(Error::invalid("batch_size", "must be at least 1, got 0"));
        }
        if x.shape()[0] == 0 {
            return Err(Error::EmptyInput {
                what: "x (no images)",
            });
        }
        let targets = class_indices(x.shape()[0], y)?;
        let x = if x.is_standard_layout() {
            CowArray::from(x)
        } else {
            CowArray::from(x.as_standard_layout().into_owned())
        };
        Ok(DataLoader {
            x,
            targets,
            batch_size,
            shuffle: true,
            seed: 0,
            drop_last: false,
            augment: None,
            prefetch: 2,
        })
    }

    /// Reshuffle every epoch (default true).
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// Seed of the shuffling and the augmentation (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Drop a last batch smaller than the batch size (default false).
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// Augment every batch (default: none).
    pub fn augment(mut self, augment: Augment) -> Self {
        self.augment = Some(augment);
        self
    }

    /// Batches prepared ahead on the loader's thread (default 2; 0
    /// prepares each batch on the calling thread when it is needed).
    pub fn prefetch(mut self, batches: usize) -> Self {
        self.prefetch = batches;
        self
    }

    /// Images per batch.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Images in the data set.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there are no images (never: [`new`](Self::new) refuses that).
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The shape of one image `[c, h, w]`.
    pub fn image_shape(&self) -> [usize; 3] {
        let s = self.x.shape();
        [s[1], s[2], s[3]]
    }

    /// Batches per epoch.
    pub fn n_batches(&self) -> usize {
        let n = self.targets.len();
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    /// The order in which epoch `epoch` visits the images.
    pub fn order(&self, epoch: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.targets.len()).collect();
        if self.shuffle {
            let mut rng =
                ChaCha8Rng::seed_from_u64(derive_seed(self.seed, &format!("epoch {epoch}")));
            order.shuffle(&mut rng);
        }
        order.truncate(self.n_batches() * self.batch_size);
        order
    }

    /// Gathers (and augments) batch `index` of the epoch's `order` into
    /// `images` / `targets`.
    fn fill(
        &self,
        epoch: usize,
        index: usize,
        order: &[usize],
        images: &mut Vec<f32>,
        targets: &mut Vec<usize>,
    ) -> Result<()> {
        let idx = &order[index * self.batch_size..((index + 1) * self.batch_size).min(order.len())];
        let [c, h, w] = self.image_shape();
        let img = c * h * w;
        let xs = self.x.as_slice().expect("standard layout");
        images.clear();
        targets.clear();
        for &i in idx {
            images.extend_from_slice(&xs[i * img..(i + 1) * img]);
            targets.push(self.targets[i]);
        }
        if let Some(aug) = &self.augment {
            let view = ArrayViewMut4::from_shape((idx.len(), c, h, w), images.as_mut_slice())
                .expect("gathered batch");
            let seed = derive_seed(self.seed, &format!("augment {epoch} {index}"));
            aug.apply_seeded(view, seed)?;
        }
        Ok(())
    }

    /// Runs `f` on every batch of epoch `epoch` in order; with prefetching,
    /// the next batches are prepared on a scoped thread meanwhile. Stops at
    /// the first error (of `f` or of the augmentation).
    ///
    /// # Errors
    /// What `f` returns; [`Error::ShapeMismatch`] from the augmentation
    /// (a normalisation for another channel count).
    pub fn for_each_batch(
        &self,
        epoch: usize,
        mut f: impl FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        let order = self.order(epoch);
        let nb = self.n_batches();
        let [c, h, w] = self.image_shape();
        let call = |f: &mut dyn FnMut(Batch<'_>) -> Result<()>,
                    index: usize,
                    images: &[f32],
                    targets: &[usize]| {
            let view =
                ArrayView4::from_shape((targets.len(), c, h, w), images).expect("gathered batch");
            f(Batch {
                index,
                images: view,
                targets,
            })
        };
        if self.prefetch == 0 {
            let (mut images, mut targets) = (Vec::new(), Vec::new());
            for b in 0..nb {
                self.fill(epoch, b, &order, &mut images, &mut targets)?;
                call(&mut f, b, &images, &targets)?;
            }
            return Ok(());
        }
        type Msg = Result<(usize, Vec<f32>, Vec<usize>)>;
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::sync_channel::<Msg>(self.prefetch);
            let (back_tx, back_rx) = mpsc::channel::<(Vec<f32>, Vec<usize>)>();
            let order = &order;
            scope.spawn(move || {
                for b in 0..nb {
                    let (mut images, mut targets) = back_rx.try_recv().unwrap_or_default();
                    let msg = self
                        .fill(epoch, b, order, &mut images, &mut targets)
                        .map(|()| (b, images, targets));
                    let failed = msg.is_err();
                    if tx.send(msg).is_err() || failed {
                        return;
                    }
                }
            });
            for msg in rx {
                let (b, images, targets) = msg?;
                call(&mut f, b, &images, &targets)?;
                // The producer may have finished: a failed send is fine.
                let _ = back_tx.send((images, targets));
            }
            Ok(())
        })
    }
}

/// `y` as class indices, one per image.
pub(crate) fn class_indices<L: ClassIndex>(n: usize, y: ArrayView1<'_, L>) -> Result<Vec<usize>> {
    if y.len() != n {
        return Err(Error::ShapeMismatch {
            what: "y (one label per image of x)",
            expected: vec![n],
            got: vec![y.len()],
        });
    }
    y.iter()
        .enumerate()
        .map(|(i, &v)| {
            v.class_index().ok_or_else(|| {
                Error::invalid(
                    "y",
                    format!("label at index {i} is not a class index (negative or too large)"),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array4};

    fn data() -> (Array4<f32>, Array1<usize>) {
        let x = Array4::from_shape_fn((23, 2, 3, 3), |(n, c, i, j)| {
            (n * 100 + c * 10 + i * 3 + j) as f32
        });
        let y = Array1::from_shape_fn(23, |n| n % 5);
        (x, y)
    }

    fn collect(l: &DataLoader<'_>, epoch: usize) -> Vec<(usize, Vec<f32>, Vec<usize>)> {
        let mut out = Vec::new();
        l.for_each_batch(epoch, |b| {
            out.push((
                b.index,
                b.images.iter().copied().collect(),
                b.targets.to_vec(),
            ));
            Ok(())
        })
        .unwrap();
        out
    }

    /// Prefetching on a thread gives the very batches of the inline path;
    /// every image appears once per epoch with its label; epochs differ;
    /// an epoch replays identically.
    #[test]
    fn prefetched_batches_equal_inline_ones() {
        let (x, y) = data();
        let aug = Augment::new().random_crop(1).horizontal_flip(0.5).unwrap();
        let l = DataLoader::new(x.view(), y.view(), 5)
            .unwrap()
            .seed(3)
            .augment(aug);
        for epoch in 0..3 {
            let a = collect(&l.clone().prefetch(0), epoch);
            let b = collect(&l, epoch);
            let c = collect(&l.clone().prefetch(1), epoch);
            assert_eq!(a, b);
            assert_eq!(a, c);
            assert_eq!(a.len(), 5);
            assert_eq!(
                a.iter().map(|(i, ..)| *i).collect::<Vec<_>>(),
                [0, 1, 2, 3, 4]
            );
        }
        let plain = DataLoader::new(x.view(), y.view(), 5).unwrap().seed(3);
        let mut seen = [0; 23];
        for (_, images, targets) in collect(&plain, 1) {
            for (img, t) in images.chunks(18).zip(targets) {
                let n = (img[0] / 100.0) as usize;
                assert_eq!(n % 5, t);
                seen[n] += 1;
            }
        }
        assert!(seen.iter().all(|&s| s == 1));
        assert_ne!(plain.order(0), plain.order(1));
        assert_eq!(plain.order(4), plain.order(4));
        let dl = plain.clone().drop_last(true);
        assert_eq!(dl.n_batches(), 4);
        assert_eq!(collect(&dl, 0).iter().map(|b| b.2.len()).sum::<usize>(), 20);
    }

    /// An error of the callback stops the epoch and is returned (the
    /// prefetching thread ends).
    #[test]
    fn errors_stop_the_epoch() {
        let (x, y) = data();
        let l = DataLoader::new(x.view(), y.view(), 2).unwrap();
        let mut calls = 0;
        let r = l.for_each_batch(0, |b| {
            calls += 1;
            if b.index == 3 {
                return Err(Error::invalid("test", "stop"));
            }
            Ok(())
        });
        assert!(matches!(
            r,
            Err(Error::InvalidParameter { name: "test", .. })
        ));
        assert_eq!(calls, 4);
        let bad = Augment::new().normalize(&[0.0], &[1.0]).unwrap();
        let l = DataLoader::new(x.view(), y.view(), 2).unwrap().augment(bad);
        assert!(matches!(
            l.for_each_batch(0, |_| Ok(())),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(DataLoader::new(x.view(), y.view(), 0).is_err());
        let neg = Array1::from(vec![-1i32; 23]);
        assert!(DataLoader::new(x.view(), neg.view(), 2).is_err());
    }
}
