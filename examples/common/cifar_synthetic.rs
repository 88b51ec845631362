//! A synthetic CIFAR-10-format data set for the CNN examples: written with
//! the data module's CIFAR-10 writer to a temporary directory and read back
//! with its reader, so the whole pipeline runs offline.

use std::path::PathBuf;

use oxilearn::data::write_cifar10;
use oxilearn::ndarray::{Array1, Array4};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Synthetic CIFAR-format images: class k has a colour tint and a stripe
/// orientation/frequency of its own, plus uniform noise.
fn synthetic(n: usize, seed: u64) -> (Array4<f32>, Array1<u8>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let labels = Array1::from_shape_fn(n, |_| rng.random_range(0..10u8));
    let mut x = Array4::<f32>::zeros((n, 3, 32, 32));
    for (i, &k) in labels.iter().enumerate() {
        let k = k as f32;
        let (freq, horizontal) = (1.0 + (k as usize % 5) as f32, k >= 5.0);
        for c in 0..3 {
            let tint = 0.25 + 0.5 * (((k + c as f32) * 1.7).sin() * 0.5 + 0.5);
            for h in 0..32 {
                for w in 0..32 {
                    let t = if horizontal { h } else { w } as f32;
                    let stripe = 0.2 * (t * freq * std::f32::consts::PI / 16.0).sin();
                    let noise: f32 = rng.random_range(-0.25..0.25);
                    x[[i, c, h, w]] = (tint + stripe + noise).clamp(0.0, 1.0);
                }
            }
        }
    }
    (x, labels)
}

/// Five training batches of 2 000 images and a test batch of 2 000, in a
/// new temporary directory (the caller removes it).
pub fn synthetic_dir() -> oxilearn::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("oxilearn-cifar-synthetic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| oxilearn::Error::io(&dir, e))?;
    for i in 1..=5 {
        let (x, y) = synthetic(2000, i);
        write_cifar10(dir.join(format!("data_batch_{i}.bin")), x.view(), y.view())?;
    }
    let (x, y) = synthetic(2000, 99);
    write_cifar10(dir.join("test_batch.bin"), x.view(), y.view())?;
    Ok(dir)
}
