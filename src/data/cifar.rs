//! CIFAR-10 binary batches (`data_batch_1.bin` … `data_batch_5.bin`,
//! `test_batch.bin`): images as `f32` NCHW `(N, 3, 32, 32)` in `[0, 1]`.
//!
//! Each record is 3073 bytes: one label byte (0–9), then 1024 red, 1024 green
//! and 1024 blue bytes, each plane row-major — exactly the NCHW layout.
//! A file whose length is not a positive multiple of 3073, or with a label
//! above 9, is an [`Error::Format`].

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array4, ArrayView1, ArrayView4};

use super::bytes;
use super::idx::{ImageSet, Part};
use crate::error::{Error, Result};

/// Bytes of one CIFAR-10 record (1 label + 3 × 32 × 32 pixels).
pub const CIFAR10_RECORD_BYTES: usize = 1 + CIFAR10_IMAGE_BYTES;
const CIFAR10_IMAGE_BYTES: usize = 3 * 32 * 32;

/// The class names of CIFAR-10, index = label.
pub const CIFAR10_CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

/// Checks the record structure of one batch and returns the record count.
fn check_batch(data: &[u8], source_name: &str) -> Result<usize> {
    if data.is_empty() || !data.len().is_multiple_of(CIFAR10_RECORD_BYTES) {
        return Err(Error::format(
            source_name,
            format!(
                "length {} is not a positive multiple of the CIFAR-10 record size {CIFAR10_RECORD_BYTES}",
                data.len()
            ),
        ));
    }
    for (i, rec) in data.chunks_exact(CIFAR10_RECORD_BYTES).enumerate() {
        if rec[0] > 9 {
            return Err(Error::Format {
                source_name: source_name.to_string(),
                location: Some(format!("record {i} (byte {})", i * CIFAR10_RECORD_BYTES)),
                reason: format!("label {} is not a CIFAR-10 class (0–9)", rec[0]),
            });
        }
    }
    Ok(data.len() / CIFAR10_RECORD_BYTES)
}

/// Decodes already-checked batches into one image set.
fn decode(batches: &[(&[u8], usize)]) -> Result<ImageSet> {
    let n: usize = batches.iter().map(|(_, n)| n).sum();
    let mut pixels = Vec::with_capacity(n * CIFAR10_IMAGE_BYTES);
    let mut labels = Vec::with_capacity(n);
    for (data, _) in batches {
        for rec in data.chunks_exact(CIFAR10_RECORD_BYTES) {
            labels.push(rec[0]);
            pixels.extend(rec[1..].iter().map(|&b| f32::from(b) / 255.0));
        }
    }
    let images = Array4::from_shape_vec((n, 3, 32, 32), pixels)
        .map_err(|e| Error::format("CIFAR-10", e.to_string()))?;
    Ok(ImageSet {
        images,
        labels: Array1::from(labels),
    })
}

/// Parses one CIFAR-10 binary batch from memory.
///
/// # Errors
/// [`Error::Format`] if the length is not a positive multiple of 3073 bytes
/// or a label is above 9.
///
/// # Example
/// ```
/// use oxilearn::data::{encode_cifar10, parse_cifar10};
/// use oxilearn::ndarray::{array, Array4};
///
/// let imgs = Array4::<f32>::from_elem((2, 3, 32, 32), 0.5);
/// let bytes = encode_cifar10(imgs.view(), array![3u8, 8].view())?;
/// assert_eq!(bytes.len(), 2 * 3073);
/// let set = parse_cifar10(&bytes)?;
/// assert_eq!(set.labels, array![3u8, 8]);
/// assert_eq!(set.images[[1, 2, 31, 31]], 128.0 / 255.0); // round(0.5 · 255) = 128
/// assert!(parse_cifar10(&bytes[1..]).is_err());
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn parse_cifar10(data: &[u8]) -> Result<ImageSet> {
    let n = check_batch(data, "CIFAR-10")?;
    decode(&[(data, n)])
}

/// Reads one CIFAR-10 binary batch file (e.g. `test_batch.bin`).
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Format`] as
/// [`parse_cifar10`], naming the file.
///
/// # Example
/// ```
/// use oxilearn::data::{read_cifar10, write_cifar10};
/// use oxilearn::ndarray::{array, Array4};
///
/// let path = std::env::temp_dir().join("oxilearn-doc-test_batch.bin");
/// write_cifar10(&path, Array4::zeros((1, 3, 32, 32)).view(), array![9u8].view())?;
/// assert_eq!(read_cifar10(&path)?.images.dim(), (1, 3, 32, 32));
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn read_cifar10(path: impl AsRef<Path>) -> Result<ImageSet> {
    let path = path.as_ref();
    let data = bytes::read_file(path)?;
    let n = check_batch(&data, &bytes::display_name(path))?;
    decode(&[(&data, n)])
}

/// The batch files of `part` inside a CIFAR-10 binary directory.
///
/// `dir` may be the `cifar-10-batches-bin` directory itself or its parent.
///
/// # Example
/// ```
/// use oxilearn::data::{cifar10_files, Part};
/// let files = cifar10_files("cifar-10-batches-bin", Part::Train);
/// assert_eq!(files.len(), 5);
/// assert!(files[4].ends_with("data_batch_5.bin"));
/// ```
pub fn cifar10_files(dir: impl AsRef<Path>, part: Part) -> Vec<PathBuf> {
    let mut dir = dir.as_ref().to_path_buf();
    let nested = dir.join("cifar-10-batches-bin");
    if !dir.join("test_batch.bin").exists()
        && !dir.join("data_batch_1.bin").exists()
        && nested.is_dir()
    {
        dir = nested;
    }
    match part {
        Part::Train => (1..=5)
            .map(|i| dir.join(format!("data_batch_{i}.bin")))
            .collect(),
        Part::Test => vec![dir.join("test_batch.bin")],
    }
}

/// Reads the training (`data_batch_1..5.bin`, 50 000 images) or test
/// (`test_batch.bin`, 10 000 images) part of a CIFAR-10 binary directory
/// (see [`cifar10_files`]), concatenated in file order.
///
/// Memory: the `f32` images take 12 KiB each (600 MiB for the training set).
///
/// # Errors
/// [`Error::Io`] for a missing file; [`Error::Format`] for a malformed one.
///
/// # Example
/// ```
/// use oxilearn::data::{read_cifar10_dir, write_cifar10, Part};
/// use oxilearn::ndarray::{array, Array4};
///
/// let dir = std::env::temp_dir().join("oxilearn-doc-cifar");
/// std::fs::create_dir_all(&dir).unwrap();
/// for i in 1..=5 {
///     let imgs = Array4::<f32>::zeros((2, 3, 32, 32));
///     write_cifar10(dir.join(format!("data_batch_{i}.bin")), imgs.view(), array![i as u8, 0].view())?;
/// }
/// let train = read_cifar10_dir(&dir, Part::Train)?;
/// assert_eq!(train.labels.to_vec(), [1, 0, 2, 0, 3, 0, 4, 0, 5, 0]);
/// assert!(read_cifar10_dir(&dir, Part::Test).is_err()); // no test_batch.bin
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn read_cifar10_dir(dir: impl AsRef<Path>, part: Part) -> Result<ImageSet> {
    let files = cifar10_files(dir, part);
    let contents = files
        .iter()
        .map(|p| bytes::read_file(p))
        .collect::<Result<Vec<_>>>()?;
    let mut batches = Vec::with_capacity(files.len());
    for (path, data) in files.iter().zip(&contents) {
        let n = check_batch(data, &bytes::display_name(path))?;
        batches.push((data.as_slice(), n));
    }
    decode(&batches)
}

/// Encodes `(N, 3, 32, 32)` images with values in `[0, 1]` and their labels
/// as a CIFAR-10 binary batch (pixels stored as `round(v · 255)`).
///
/// # Errors
/// [`Error::ShapeMismatch`] for another image shape or a label count that
/// differs from N; [`Error::InvalidParameter`] for a label above 9 or a pixel
/// outside `[0, 1]`; [`Error::NonFinite`] for a NaN/inf pixel.
///
/// # Example
/// ```
/// use oxilearn::data::encode_cifar10;
/// use oxilearn::ndarray::{array, Array4};
///
/// let bytes = encode_cifar10(Array4::from_elem((1, 3, 32, 32), 1.0).view(), array![2u8].view())?;
/// assert_eq!((bytes[0], bytes[1], bytes[3072]), (2, 255, 255));
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn encode_cifar10(images: ArrayView4<'_, f32>, labels: ArrayView1<'_, u8>) -> Result<Vec<u8>> {
    let (n, c, h, w) = images.dim();
    if (c, h, w) != (3, 32, 32) {
        return Err(Error::ShapeMismatch {
            what: "images (N, 3, 32, 32)",
            expected: vec![n, 3, 32, 32],
            got: vec![n, c, h, w],
        });
    }
    crate::validation::check_n_targets(n, labels.len())?;
    if let Some(i) = labels.iter().position(|&l| l > 9) {
        return Err(Error::invalid(
            "labels",
            format!("CIFAR-10 labels are 0–9; label {i} is {}", labels[i]),
        ));
    }
    bytes::check_unit_interval(images.iter(), "images")?;
    let mut out = Vec::with_capacity(n * CIFAR10_RECORD_BYTES);
    for (img, &label) in images.outer_iter().zip(labels) {
        out.push(label);
        out.extend(img.iter().map(|&v| bytes::to_byte(v)));
    }
    Ok(out)
}

/// Writes a CIFAR-10 binary batch file ([`encode_cifar10`]); used to make
/// CIFAR-format files from other data when no real CIFAR-10 is at hand.
///
/// # Errors
/// Those of [`encode_cifar10`], and [`Error::Io`].
///
/// # Example
/// See [`read_cifar10`].
pub fn write_cifar10(
    path: impl AsRef<Path>,
    images: ArrayView4<'_, f32>,
    labels: ArrayView1<'_, u8>,
) -> Result<()> {
    let bytes = encode_cifar10(images, labels)?;
    let path = path.as_ref();
    std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_nchw() {
        let mut rec = vec![0u8; CIFAR10_RECORD_BYTES];
        rec[0] = 6;
        rec[1] = 255; // red (0, 0)
        rec[1 + 1024 + 32] = 51; // green (1, 0)
        rec[3072] = 102; // blue (31, 31)
        let set = parse_cifar10(&rec).unwrap();
        assert_eq!(set.labels[0], 6);
        assert_eq!(set.images[[0, 0, 0, 0]], 1.0);
        assert_eq!(set.images[[0, 1, 1, 0]], 0.2);
        assert_eq!(set.images[[0, 2, 31, 31]], 0.4);
        assert!((set.images.sum() - 1.6).abs() < 1e-6);
        let back = encode_cifar10(set.images.view(), set.labels.view()).unwrap();
        assert_eq!(back, rec);
    }

    #[test]
    fn malformed_batches() {
        let rec = vec![0u8; CIFAR10_RECORD_BYTES];
        for bad in [&[][..], &rec[..100], &[rec.clone(), vec![1]].concat()[..]] {
            assert!(matches!(parse_cifar10(bad), Err(Error::Format { .. })));
        }
        let mut lbl = [rec.clone(), rec.clone()].concat();
        lbl[CIFAR10_RECORD_BYTES] = 10;
        let e = parse_cifar10(&lbl).unwrap_err();
        assert!(e.to_string().contains("record 1"), "{e}");
    }

    #[test]
    fn encoder_validates() {
        let ok = Array4::<f32>::zeros((2, 3, 32, 32));
        assert!(matches!(
            encode_cifar10(ok.view(), ndarray::array![1u8].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            encode_cifar10(ok.view(), ndarray::array![1u8, 10].view()),
            Err(Error::InvalidParameter { .. })
        ));
        let small = Array4::<f32>::zeros((2, 1, 28, 28));
        assert!(matches!(
            encode_cifar10(small.view(), ndarray::array![1u8, 1].view()),
            Err(Error::ShapeMismatch { .. })
        ));
    }
}
