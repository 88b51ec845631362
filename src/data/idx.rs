//! MNIST IDX files (plain or gzip-compressed): images as `f32` NCHW in
//! `[0, 1]`, labels as `u8`.
//!
//! The IDX format: two zero bytes, a type byte (`0x08` = unsigned byte), the
//! number of dimensions, each dimension as a big-endian `u32`, then the data
//! in row-major order. Images files are 3-D (`N × H × W`), label files 1-D.
//! gzip input is recognised by its magic bytes, whatever the file name.
//!
//! Every malformed input (wrong magic, unsupported type, sizes that disagree
//! with the byte count, truncated or invalid gzip) gives [`Error::Format`];
//! declared sizes are checked against the actual length before anything is
//! allocated.

use std::path::Path;

use ndarray::{Array1, Array4, ArrayView1, ArrayView4};

use super::bytes::{self, Cursor};
use crate::error::{Error, Result};

/// IDX element type code for unsigned bytes.
const IDX_U8: u8 = 0x08;

/// Parses an IDX header; checks the type is `u8`, the rank is `ndim` and the
/// data length equals the product of the dimensions. Returns dims and data.
fn parse_u8_idx<'a>(
    data: &'a [u8],
    ndim: u8,
    source_name: &'a str,
) -> Result<(Vec<usize>, &'a [u8])> {
    let mut c = Cursor::new(data, source_name);
    let magic = c.take(2, "magic")?;
    if magic != [0, 0] {
        return Err(Error::Format {
            source_name: source_name.to_string(),
            location: Some("byte 0".into()),
            reason: format!("not an IDX file: magic starts with {magic:02x?}, expected [00, 00]"),
        });
    }
    let ty = c.u8("type code")?;
    if ty != IDX_U8 {
        return Err(c.error(format!(
            "IDX element type 0x{ty:02x} is not supported (MNIST uses 0x08, unsigned byte)"
        )));
    }
    let nd = c.u8("number of dimensions")?;
    if nd != ndim {
        return Err(c.error(format!(
            "expected a {ndim}-dimensional IDX array, found {nd} dimensions"
        )));
    }
    let mut dims = Vec::with_capacity(nd as usize);
    for i in 0..nd {
        dims.push(c.u32_be(&format!("dimension {i}"))? as usize);
    }
    let n = bytes::checked_product(&dims)
        .ok_or_else(|| c.error(format!("dimensions {dims:?} overflow")))?;
    if n != c.remaining() {
        return Err(c.error(format!(
            "header declares dimensions {dims:?} = {n} bytes of data, file has {}",
            c.remaining()
        )));
    }
    let body = c.take(n, "data")?;
    Ok((dims, body))
}

fn images_from(data: &[u8], source_name: &str) -> Result<Array4<f32>> {
    let data = bytes::maybe_gunzip(data, source_name)?;
    let (dims, body) = parse_u8_idx(&data, 3, source_name)?;
    let values: Vec<f32> = body.iter().map(|&b| f32::from(b) / 255.0).collect();
    Array4::from_shape_vec((dims[0], 1, dims[1], dims[2]), values)
        .map_err(|e| Error::format(source_name, e.to_string()))
}

fn labels_from(data: &[u8], source_name: &str) -> Result<Array1<u8>> {
    let data = bytes::maybe_gunzip(data, source_name)?;
    let (_, body) = parse_u8_idx(&data, 1, source_name)?;
    Ok(Array1::from(body.to_vec()))
}

/// Parses an IDX image file (plain or gzip) from memory into an
/// `(N, 1, H, W)` array of `f32` pixel intensities `byte / 255`.
///
/// # Errors
/// [`Error::Format`] for anything that is not a 3-D unsigned-byte IDX array
/// whose size matches its header.
///
/// # Example
/// ```
/// use oxilearn::data::{encode_idx_images, parse_idx_images};
/// use oxilearn::ndarray::Array4;
///
/// let imgs = Array4::from_shape_fn((2, 1, 3, 4), |(n, _, h, w)| ((n + h + w) % 2) as f32);
/// let bytes = encode_idx_images(imgs.view())?;
/// assert_eq!(parse_idx_images(&bytes)?, imgs);
/// assert!(parse_idx_images(&bytes[..bytes.len() - 1]).is_err()); // truncated
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn parse_idx_images(data: &[u8]) -> Result<Array4<f32>> {
    images_from(data, "IDX images")
}

/// Parses an IDX label file (plain or gzip) from memory.
///
/// # Errors
/// [`Error::Format`] for anything that is not a 1-D unsigned-byte IDX array
/// whose size matches its header.
///
/// # Example
/// ```
/// use oxilearn::data::{encode_idx_labels, parse_idx_labels};
/// use oxilearn::ndarray::array;
///
/// let bytes = encode_idx_labels(array![3u8, 1, 4].view());
/// assert_eq!(&bytes[..4], &[0, 0, 8, 1]); // magic: u8 type, 1 dimension
/// assert_eq!(parse_idx_labels(&bytes)?, array![3u8, 1, 4]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn parse_idx_labels(data: &[u8]) -> Result<Array1<u8>> {
    labels_from(data, "IDX labels")
}

/// Reads an MNIST-style IDX image file (e.g. `train-images-idx3-ubyte` or
/// `train-images-idx3-ubyte.gz`) into `(N, 1, H, W)` `f32` in `[0, 1]`.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Format`] as
/// [`parse_idx_images`], naming the file.
///
/// # Example
/// ```
/// use oxilearn::data::{read_idx_images, write_idx_images};
/// use oxilearn::ndarray::Array4;
///
/// let path = std::env::temp_dir().join("oxilearn-doc-images-idx3-ubyte.gz");
/// let imgs = Array4::<f32>::from_elem((3, 1, 28, 28), 1.0);
/// write_idx_images(&path, imgs.view())?; // gzip because of the .gz suffix
/// assert_eq!(read_idx_images(&path)?.dim(), (3, 1, 28, 28));
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn read_idx_images(path: impl AsRef<Path>) -> Result<Array4<f32>> {
    let path = path.as_ref();
    images_from(&bytes::read_file(path)?, &bytes::display_name(path))
}

/// Reads an MNIST-style IDX label file (plain or `.gz`).
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Format`] as
/// [`parse_idx_labels`], naming the file.
///
/// # Example
/// ```
/// use oxilearn::data::{read_idx_labels, write_idx_labels};
/// use oxilearn::ndarray::array;
///
/// let path = std::env::temp_dir().join("oxilearn-doc-labels-idx1-ubyte");
/// write_idx_labels(&path, array![7u8, 2, 1].view())?;
/// assert_eq!(read_idx_labels(&path)?, array![7u8, 2, 1]);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn read_idx_labels(path: impl AsRef<Path>) -> Result<Array1<u8>> {
    let path = path.as_ref();
    labels_from(&bytes::read_file(path)?, &bytes::display_name(path))
}

fn header(dims: &[usize]) -> Result<Vec<u8>> {
    let mut out = vec![0, 0, IDX_U8, dims.len() as u8];
    for &d in dims {
        let d = u32::try_from(d).map_err(|_| {
            Error::invalid(
                "images",
                format!("dimension {d} exceeds the IDX limit 2^32-1"),
            )
        })?;
        out.extend_from_slice(&d.to_be_bytes());
    }
    Ok(out)
}

/// Encodes `(N, 1, H, W)` images with values in `[0, 1]` as an IDX image
/// file (`N × H × W` unsigned bytes, each `round(v · 255)`).
///
/// # Errors
/// [`Error::ShapeMismatch`] if the channel count is not 1;
/// [`Error::NonFinite`] / [`Error::InvalidParameter`] for values that are
/// NaN/inf or outside `[0, 1]`; [`Error::InvalidParameter`] for a dimension
/// above `u32::MAX`.
///
/// # Example
/// ```
/// use oxilearn::data::encode_idx_images;
/// use oxilearn::ndarray::Array4;
///
/// let bytes = encode_idx_images(Array4::<f32>::zeros((1, 1, 2, 2)).view())?;
/// assert_eq!(bytes.len(), 4 + 3 * 4 + 4);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn encode_idx_images(images: ArrayView4<'_, f32>) -> Result<Vec<u8>> {
    let (n, c, h, w) = images.dim();
    if c != 1 {
        return Err(Error::ShapeMismatch {
            what: "images (N, 1, H, W)",
            expected: vec![n, 1, h, w],
            got: vec![n, c, h, w],
        });
    }
    bytes::check_unit_interval(images.iter(), "images")?;
    let mut out = header(&[n, h, w])?;
    out.reserve(images.len());
    out.extend(images.iter().map(|&v| bytes::to_byte(v)));
    Ok(out)
}

/// Encodes labels as an IDX label file.
///
/// # Panics
/// If `labels.len()` exceeds `u32::MAX` (the IDX limit).
///
/// # Example
/// ```
/// let bytes = oxilearn::data::encode_idx_labels(oxilearn::ndarray::array![9u8].view());
/// assert_eq!(bytes, [0, 0, 8, 1, 0, 0, 0, 1, 9]);
/// ```
pub fn encode_idx_labels(labels: ArrayView1<'_, u8>) -> Vec<u8> {
    let n = u32::try_from(labels.len()).expect("IDX label files hold at most 2^32-1 labels");
    let mut out = vec![0, 0, IDX_U8, 1];
    out.extend_from_slice(&n.to_be_bytes());
    out.extend(labels.iter().copied());
    out
}

/// Writes images as an IDX image file ([`encode_idx_images`]), gzip-compressed
/// when `path` ends in `.gz`.
///
/// # Errors
/// Those of [`encode_idx_images`], and [`Error::Io`].
///
/// # Example
/// See [`read_idx_images`].
pub fn write_idx_images(path: impl AsRef<Path>, images: ArrayView4<'_, f32>) -> Result<()> {
    bytes::write_file(path.as_ref(), &encode_idx_images(images)?)
}

/// Writes labels as an IDX label file, gzip-compressed when `path` ends in
/// `.gz`.
///
/// # Errors
/// [`Error::Io`]; [`Error::InvalidParameter`] for more than `u32::MAX` labels.
///
/// # Example
/// See [`read_idx_labels`].
pub fn write_idx_labels(path: impl AsRef<Path>, labels: ArrayView1<'_, u8>) -> Result<()> {
    if u32::try_from(labels.len()).is_err() {
        return Err(Error::invalid(
            "labels",
            "IDX label files hold at most 2^32-1 labels",
        ));
    }
    bytes::write_file(path.as_ref(), &encode_idx_labels(labels))
}

/// Which part of a dataset to read.
///
/// # Example
/// ```
/// use oxilearn::data::Part;
/// assert_ne!(Part::Train, Part::Test);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The training files (MNIST `train-*`, CIFAR-10 `data_batch_1..5.bin`).
    Train,
    /// The test files (MNIST `t10k-*`, CIFAR-10 `test_batch.bin`).
    Test,
}

/// Images (`f32` NCHW in `[0, 1]`) and their labels.
///
/// # Example
/// ```
/// use oxilearn::data::ImageSet;
/// use oxilearn::ndarray::{Array1, Array4};
///
/// let set = ImageSet { images: Array4::zeros((2, 1, 28, 28)), labels: Array1::from(vec![0u8, 7]) };
/// assert_eq!(set.len(), 2);
/// assert!(!set.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSet {
    /// `(N, C, H, W)` pixel intensities in `[0, 1]`.
    pub images: Array4<f32>,
    /// One label per image.
    pub labels: Array1<u8>,
}

impl ImageSet {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// Finds `name` or `name.gz` in `dir`.
fn find_with_gz(dir: &Path, name: &str) -> Result<std::path::PathBuf> {
    let plain = dir.join(name);
    if plain.is_file() {
        return Ok(plain);
    }
    let gz = dir.join(format!("{name}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    Err(Error::io(
        plain,
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("neither {name} nor {name}.gz found"),
        ),
    ))
}

/// Reads MNIST (or Fashion-MNIST) from a directory holding the standard file
/// names: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
/// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each plain or `.gz`.
///
/// # Errors
/// [`Error::Io`] for a missing file; [`Error::Format`] for a malformed one or
/// when the image and label counts differ.
///
/// # Example
/// ```
/// use oxilearn::data::{read_mnist, write_idx_images, write_idx_labels, Part};
/// use oxilearn::ndarray::{array, Array4};
///
/// let dir = std::env::temp_dir().join("oxilearn-doc-mnist");
/// std::fs::create_dir_all(&dir).unwrap();
/// write_idx_images(dir.join("t10k-images-idx3-ubyte.gz"), Array4::zeros((2, 1, 28, 28)).view())?;
/// write_idx_labels(dir.join("t10k-labels-idx1-ubyte"), array![4u8, 2].view())?;
/// let test = read_mnist(&dir, Part::Test)?;
/// assert_eq!(test.images.dim(), (2, 1, 28, 28));
/// assert_eq!(test.labels, array![4u8, 2]);
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn read_mnist(dir: impl AsRef<Path>, part: Part) -> Result<ImageSet> {
    let dir = dir.as_ref();
    let prefix = match part {
        Part::Train => "train",
        Part::Test => "t10k",
    };
    let img_path = find_with_gz(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let lbl_path = find_with_gz(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let images = read_idx_images(&img_path)?;
    let labels = read_idx_labels(&lbl_path)?;
    if images.dim().0 != labels.len() {
        return Err(Error::format(
            bytes::display_name(&lbl_path),
            format!("{} labels for {} images", labels.len(), images.dim().0),
        ));
    }
    Ok(ImageSet { images, labels })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_format<T: std::fmt::Debug>(r: Result<T>) -> bool {
        matches!(r, Err(Error::Format { .. }))
    }

    #[test]
    fn round_trip_and_scaling() {
        let mut raw = vec![0u8, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3];
        raw.extend_from_slice(&[0, 128, 255, 1, 2, 3]);
        let imgs = parse_idx_images(&raw).unwrap();
        assert_eq!(imgs.dim(), (2, 1, 1, 3));
        assert_eq!(imgs[[0, 0, 0, 2]], 1.0);
        assert_eq!(imgs[[0, 0, 0, 1]], 128.0 / 255.0);
        assert_eq!(imgs[[1, 0, 0, 0]], 1.0 / 255.0);
        assert_eq!(encode_idx_images(imgs.view()).unwrap(), raw);
        // gzip is detected by magic, not by name.
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, &raw).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(parse_idx_images(&gz).unwrap(), imgs);
    }

    #[test]
    fn malformed_inputs_are_format_errors() {
        let good = encode_idx_labels(ndarray::array![1u8, 2, 3].view());
        assert!(parse_idx_labels(&good).is_ok());
        assert!(is_format(parse_idx_labels(&[])));
        assert!(is_format(parse_idx_labels(&good[..3])));
        assert!(is_format(parse_idx_labels(&good[..good.len() - 1])));
        let mut extra = good.clone();
        extra.push(0);
        assert!(is_format(parse_idx_labels(&extra)));
        let mut bad_magic = good.clone();
        bad_magic[0] = 1;
        assert!(is_format(parse_idx_labels(&bad_magic)));
        let mut bad_type = good.clone();
        bad_type[2] = 0x0d;
        assert!(is_format(parse_idx_labels(&bad_type)));
        // Labels parsed as images: wrong rank.
        assert!(is_format(parse_idx_images(&good)));
        // Lying header: 2^32-1 × 2^32-1 × 2^32-1 images, 0 bytes of data.
        let lying = [
            0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        ];
        assert!(is_format(parse_idx_images(&lying)));
        let lying = [0, 0, 8, 3, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0];
        assert!(is_format(parse_idx_images(&lying)));
        // Broken gzip.
        assert!(is_format(parse_idx_labels(&[0x1f, 0x8b, 8, 0, 0])));
    }

    #[test]
    fn writer_validates() {
        let three = Array4::<f32>::zeros((1, 3, 2, 2));
        assert!(matches!(
            encode_idx_images(three.view()),
            Err(Error::ShapeMismatch { .. })
        ));
        let mut bad = Array4::<f32>::zeros((1, 1, 2, 2));
        bad[[0, 0, 1, 1]] = f32::NAN;
        assert!(matches!(
            encode_idx_images(bad.view()),
            Err(Error::NonFinite { .. })
        ));
        bad[[0, 0, 1, 1]] = 1.5;
        assert!(matches!(
            encode_idx_images(bad.view()),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn read_mnist_checks_counts_and_missing_files() {
        let dir = std::env::temp_dir().join(format!("oxilearn-idx-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(matches!(
            read_mnist(&dir, Part::Train),
            Err(Error::Io { .. })
        ));
        write_idx_images(
            dir.join("train-images-idx3-ubyte"),
            Array4::zeros((3, 1, 2, 2)).view(),
        )
        .unwrap();
        write_idx_labels(
            dir.join("train-labels-idx1-ubyte.gz"),
            ndarray::array![1u8, 2].view(),
        )
        .unwrap();
        assert!(is_format(read_mnist(&dir, Part::Train)));
        write_idx_labels(
            dir.join("train-labels-idx1-ubyte.gz"),
            ndarray::array![1u8, 2, 3].view(),
        )
        .unwrap();
        let set = read_mnist(&dir, Part::Train).unwrap();
        assert_eq!(set.len(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
