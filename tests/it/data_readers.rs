//! Robustness of every reader of untrusted bytes: arbitrary, truncated,
//! mutated and lying-header inputs give `Ok` or a typed error, never a panic
//! and never a huge allocation. Also round trips through the writers.

use ndarray::{Array1, Array2, Array4, ArrayD, IxDyn};
use oxilearn::Error;
use oxilearn::data::{
    CsvChunks, encode_cifar10, encode_idx_images, encode_idx_labels, encode_npy, parse_cifar10,
    parse_csv, parse_idx_images, parse_idx_labels, parse_npy,
};
use proptest::prelude::*;

fn is_format<T>(r: &oxilearn::Result<T>) -> bool {
    matches!(r, Ok(_) | Err(Error::Format { .. }))
}

fn all_byte_readers_are_total(bytes: &[u8]) {
    assert!(is_format(&parse_idx_images(bytes)));
    assert!(is_format(&parse_idx_labels(bytes)));
    assert!(is_format(&parse_cifar10(bytes)));
    assert!(is_format(&parse_npy::<f64, IxDyn>(bytes)));
    assert!(is_format(&parse_npy::<f32, ndarray::Ix2>(bytes)));
    assert!(is_format(&parse_npy::<u8, ndarray::Ix1>(bytes)));
    assert!(is_format(&parse_npy::<i64, IxDyn>(bytes)));
    let csv = parse_csv(bytes, "fuzz", "y");
    assert!(matches!(
        csv,
        Ok(_)
            | Err(Error::Format { .. } | Error::InvalidParameter { .. } | Error::EmptyInput { .. })
    ));
    if let Ok(chunks) = CsvChunks::new(bytes, "fuzz", "y", 3) {
        for chunk in chunks {
            assert!(matches!(chunk, Ok(_) | Err(Error::Format { .. })));
        }
    }
}

fn valid_idx_images() -> Vec<u8> {
    let imgs = Array4::from_shape_fn((3, 1, 4, 5), |(n, _, h, w)| {
        ((n * 7 + h * 3 + w) % 11) as f32 / 10.0
    });
    encode_idx_images(imgs.view()).unwrap()
}

fn valid_cifar() -> Vec<u8> {
    let imgs = Array4::from_shape_fn((2, 3, 32, 32), |(n, c, h, w)| {
        ((n + c + h + w) % 5) as f32 / 4.0
    });
    encode_cifar10(imgs.view(), ndarray::array![4u8, 9].view()).unwrap()
}

fn valid_npy() -> Vec<u8> {
    let a = Array2::from_shape_fn((3, 4), |(i, j)| i as f64 - j as f64 * 0.5);
    encode_npy(a.view())
}

const VALID_CSV: &str = "a,y,b\n1,2,3\n4.5,-1e3,nan\n\n7,8,9\n";

proptest! {
    // 512 cases by default; a longer soak: PROPTEST_CASES=20000 cargo test --test data_readers
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        all_byte_readers_are_total(&bytes);
    }

    #[test]
    fn arbitrary_bytes_behind_valid_magics(
        which in 0usize..4,
        tail in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let prefix: &[u8] = match which {
            0 => &[0, 0, 8, 3],
            1 => &[0, 0, 8, 1],
            2 => b"\x93NUMPY\x01\x00",
            _ => b"\x93NUMPY\x02\x00",
        };
        let bytes = [prefix, &tail].concat();
        all_byte_readers_are_total(&bytes);
    }

    #[test]
    fn lying_idx_dimensions(dims in proptest::collection::vec(any::<u32>(), 3), data_len in 0usize..256) {
        let mut bytes = vec![0, 0, 8, 3];
        for d in &dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.resize(bytes.len() + data_len, 7);
        let r = parse_idx_images(&bytes);
        let declared = dims.iter().try_fold(1u64, |a, &d| a.checked_mul(u64::from(d)));
        if declared == Some(data_len as u64) {
            prop_assert!(r.is_ok());
        } else {
            prop_assert!(matches!(r, Err(Error::Format { .. })), "expected a Format error");
        }
    }

    #[test]
    fn lying_npy_shapes(dims in proptest::collection::vec(any::<u64>(), 0..4), data_len in 0usize..128) {
        let shape = match dims.len() {
            1 => format!("({},)", dims[0]),
            _ => format!("({})", dims.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")),
        };
        let header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}\n");
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.resize(bytes.len() + data_len, 0);
        let r = parse_npy::<f64, IxDyn>(&bytes);
        prop_assert!(is_format(&r));
        if let Ok(a) = r {
            prop_assert_eq!(a.len() * 8, data_len);
        }
    }

    #[test]
    fn truncated_and_mutated_valid_files(cut in 0usize..10_000, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8)) {
        for valid in [valid_idx_images(), valid_cifar(), valid_npy(), VALID_CSV.as_bytes().to_vec()] {
            let mut v = valid.clone();
            for &(pos, byte) in &flips {
                let i = pos % v.len();
                v[i] = byte;
            }
            all_byte_readers_are_total(&v);
            all_byte_readers_are_total(&v[..cut.min(v.len())]);
            all_byte_readers_are_total(&valid[..cut.min(valid.len())]);
        }
    }

    #[test]
    fn npy_round_trip(shape in proptest::collection::vec(0usize..5, 0..4), seed in any::<u64>()) {
        let n: usize = shape.iter().product();
        let values: Vec<f64> = (0..n).map(|i| (i as f64 + seed as f64).sin()).collect();
        let a = ArrayD::from_shape_vec(IxDyn(&shape), values).unwrap();
        let back: ArrayD<f64> = parse_npy(&encode_npy(a.view())).unwrap();
        prop_assert_eq!(back, a);
    }

    #[test]
    fn idx_and_cifar_round_trip(pixels in proptest::collection::vec(any::<u8>(), 3 * 3072), labels in proptest::collection::vec(0u8..10, 3)) {
        let imgs = Array4::from_shape_vec((3, 3, 32, 32), pixels.iter().map(|&b| f32::from(b) / 255.0).collect()).unwrap();
        let lbl = Array1::from(labels);
        let set = parse_cifar10(&encode_cifar10(imgs.view(), lbl.view()).unwrap()).unwrap();
        prop_assert_eq!(&set.images, &imgs);
        prop_assert_eq!(&set.labels, &lbl);
        let gray = imgs.slice(ndarray::s![.., 0..1, .., ..]).to_owned();
        prop_assert_eq!(parse_idx_images(&encode_idx_images(gray.view()).unwrap()).unwrap(), gray);
        prop_assert_eq!(parse_idx_labels(&encode_idx_labels(lbl.view())).unwrap(), lbl);
    }

    #[test]
    fn csv_round_trip(rows in proptest::collection::vec(proptest::collection::vec(-1e6f64..1e6, 3), 1..20), chunk in 1usize..7) {
        let mut text = String::from("f0,target,f1\n");
        for r in &rows {
            text.push_str(&format!("{},{},{}\n", r[0], r[1], r[2]));
        }
        let ds = parse_csv(text.as_bytes(), "mem", "target").unwrap();
        prop_assert_eq!(ds.records.nrows(), rows.len());
        for (i, r) in rows.iter().enumerate() {
            prop_assert_eq!(ds.records[[i, 0]], r[0]);
            prop_assert_eq!(ds.targets[i], r[1]);
            prop_assert_eq!(ds.records[[i, 1]], r[2]);
        }
        let mut seen = 0;
        for c in CsvChunks::new(text.as_bytes(), "mem", "target", chunk).unwrap() {
            let (x, y) = c.unwrap();
            prop_assert!(x.nrows() <= chunk && x.nrows() == y.len());
            seen += y.len();
        }
        prop_assert_eq!(seen, rows.len());
    }
}

#[test]
fn wide_csv_header_does_not_preallocate_per_column() {
    // 200 000 columns, one short data row: must fail fast with a Format
    // error, not reserve rows × columns memory up front.
    let mut text = (0..200_000)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    text.push_str(",y\n1,2\n");
    let e = parse_csv(text.as_bytes(), "wide", "y").unwrap_err();
    assert!(matches!(e, Error::Format { .. }));
}
