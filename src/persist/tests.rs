//! Tests of the container, the encoding, atomic writes and the trait.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::{ArrayD, IxDyn};
use safetensors::Dtype;
use serde::{Deserialize, Serialize};

use super::encoding::encode_safetensors;
use super::*;
use crate::Float;
use crate::error::{Error, Result};
use ndarray::{Array1, Array2, array};
use proptest::prelude::*;

/// A unique, fresh temporary directory, removed on drop.
struct TempDir(PathBuf);
impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "oxilearn-persist-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn entries(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Hyper {
    alpha: f64,
    fit_intercept: bool,
}

/// A toy linear model, generic over the float type like real models.
#[derive(Debug, Clone, PartialEq)]
struct Toy<F: Float> {
    coef: Array2<F>,
    intercept: Array1<F>,
    counts: Array1<i64>,
    classes: Vec<String>,
    hyper: Hyper,
    fail_to_serialise: bool,
}

fn toy<F: Float>() -> Toy<F> {
    let f = F::from_f64_lossy;
    Toy {
        coef: array![[f(1.5), f(-2.0), f(0.1)], [f(3.0), f(1e-30), f(-7.25)]],
        intercept: array![f(0.5), f(-0.5)],
        counts: array![3, 4],
        classes: vec!["cat".into(), "dog".into()],
        hyper: Hyper {
            alpha: 0.01,
            fit_intercept: true,
        },
        fail_to_serialise: false,
    }
}

impl<F: Float> Persist for Toy<F> {
    const KIND: &'static str = "Toy";
    fn to_model_file(&self) -> Result<ModelFile> {
        if self.fail_to_serialise {
            return Err(Error::invalid("toy", "cannot serialise"));
        }
        let mut file = ModelFile::new(Self::KIND, F::NAME)
            .with_n_features(self.coef.ncols())
            .with_hyperparameters(&self.hyper)?
            .with_classes(&self.classes)?;
        file.push_float("coef", self.coef.clone().into_dyn());
        file.push_float("intercept", self.intercept.clone().into_dyn());
        file.push_i64("counts", self.counts.clone().into_dyn());
        Ok(file)
    }
    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        // Version dispatch: only version 1 exists.
        // Version dispatch: versions 1 and 2 differ only in the container.
        assert!(matches!(file.metadata.format_version, 1 | 2));
        let n = file.n_features()?;
        let classes: Vec<String> = file.classes()?;
        let coef = file.take_array2::<F>("coef", [Some(classes.len()), Some(n)])?;
        let intercept = file.take_array1::<F>("intercept", Some(classes.len()))?;
        let counts = file.take_i64("counts")?;
        file.check_shape("counts", counts.shape(), &[Some(classes.len())])?;
        Ok(Toy {
            coef,
            intercept,
            counts: counts.into_dimensionality().unwrap(),
            classes,
            hyper: file.hyperparameters()?,
            fail_to_serialise: false,
        })
    }
}

/// Another kind, to test WrongModelKind.
struct Other;
impl Persist for Other {
    const KIND: &'static str = "Other";
    fn to_model_file(&self) -> Result<ModelFile> {
        Ok(ModelFile::new(Self::KIND, "none"))
    }
    fn from_model_file(_: ModelFile) -> Result<Self> {
        Ok(Other)
    }
}

/// Bytes of `file` with its metadata map edited by `edit` (and a checksum
/// that matches the edit, so that what is tested is the edit itself).
fn with_metadata(file: &ModelFile, edit: impl FnOnce(&mut BTreeMap<String, String>)) -> Vec<u8> {
    let mut m = file.metadata_map().unwrap();
    edit(&mut m);
    encode_safetensors(&file.tensors, Some(&m), true).unwrap()
}

#[test]
fn round_trip_f32_and_f64_through_files_and_bytes() {
    let dir = TempDir::new("roundtrip");
    let m64 = toy::<f64>();
    let p = dir.0.join("toy64.safetensors");
    m64.save(&p).unwrap();
    assert_eq!(Toy::<f64>::load(&p).unwrap(), m64);
    let m32 = toy::<f32>();
    let bytes = m32.to_bytes().unwrap();
    assert_eq!(Toy::<f32>::from_bytes(&bytes).unwrap(), m32);
    // Deterministic bytes.
    assert_eq!(bytes, m32.to_bytes().unwrap());
    // Exactly the temp-free result in the directory.
    assert_eq!(dir.entries(), vec!["toy64.safetensors".to_string()]);
}

#[test]
fn written_files_are_valid_safetensors() {
    let bytes = toy::<f64>().to_bytes().unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let coef = st.tensor("coef").unwrap();
    assert_eq!(coef.dtype(), Dtype::F64);
    assert_eq!(coef.shape(), &[2, 3]);
    assert_eq!(&coef.data()[..8], &1.5f64.to_le_bytes());
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap();
    assert_eq!(meta["format"], "oxilearn");
    assert_eq!(meta["format_version"], FORMAT_VERSION.to_string());
    assert!(
        meta["checksum"].starts_with("crc32:"),
        "{}",
        meta["checksum"]
    );
    assert_eq!(meta["kind"], "Toy");
    assert_eq!(meta["dtype"], "f64");
    assert_eq!(meta["n_features"], "3");
    assert_eq!(meta["crate_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(meta["classes"], r#"["cat","dog"]"#);
    assert_eq!(
        meta["hyperparameters"],
        r#"{"alpha":0.01,"fit_intercept":true}"#
    );
    // Header padded to 8 bytes, data aligned.
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap());
    assert_eq!(n % 8, 0);
}

#[test]
fn non_contiguous_arrays_are_written_in_logical_order() {
    let a = array![[1.0f64, 2.0], [3.0, 4.0]];
    let mut file = ModelFile::new("T", "f64");
    file.push_f64("t", a.t().to_owned().into_dyn());
    file.push_f64("v", a.t().into_owned().into_dyn());
    let mut back = ModelFile::from_bytes(&file.to_bytes().unwrap()).unwrap();
    let expect = array![[1.0, 3.0], [2.0, 4.0]].into_dyn();
    assert_eq!(back.take_f64("t").unwrap(), expect);
    assert_eq!(back.take_f64("v").unwrap(), expect);
}

#[test]
fn inspect_reads_metadata_and_tensor_list() {
    let dir = TempDir::new("inspect");
    let p = dir.0.join("m.safetensors");
    let mut user = BTreeMap::new();
    user.insert("tag".to_string(), "v1.2".to_string());
    user.insert("data_sha256".to_string(), "abc".to_string());
    toy::<f32>().save_with(&p, &user).unwrap();
    let meta = inspect(&p).unwrap();
    assert_eq!(meta.format, "oxilearn");
    assert_eq!(meta.format_version, FORMAT_VERSION);
    assert_eq!(meta.kind, "Toy");
    assert_eq!(meta.dtype, "f32");
    assert_eq!(meta.n_features, Some(3));
    assert_eq!(meta.crate_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(meta.hyperparameters["alpha"], 0.01);
    assert_eq!(meta.classes, Some(serde_json::json!(["cat", "dog"])));
    assert_eq!(meta.user, user);
    let names: Vec<_> = meta
        .tensors
        .iter()
        .map(|t| (t.name.as_str(), t.dtype.as_str(), t.shape.clone()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("coef", "f32", vec![2, 3]),
            ("counts", "i64", vec![2]),
            ("intercept", "f32", vec![2])
        ]
    );
    // Same metadata as a full read.
    assert_eq!(ModelFile::read(&p).unwrap().metadata, meta);
    // The metadata serialises (e.g. for a CLI printing it).
    let json = serde_json::to_string(&meta).unwrap();
    let back: ModelMetadata = serde_json::from_str(&json).unwrap();
    assert_eq!(back, meta);
}

#[test]
fn inspect_rejects_lying_header_length_without_allocating() {
    let dir = TempDir::new("lying");
    let p = dir.0.join("x.safetensors");
    let mut bytes = toy::<f64>().to_bytes().unwrap();
    for n in [u64::MAX, MAX_HEADER_BYTES + 1, bytes.len() as u64] {
        bytes[..8].copy_from_slice(&n.to_le_bytes());
        fs::write(&p, &bytes).unwrap();
        assert!(matches!(inspect(&p), Err(Error::Format { .. })), "n = {n}");
        assert!(matches!(Toy::<f64>::load(&p), Err(Error::Format { .. })));
    }
}

#[test]
fn wrong_float_type_is_a_format_error() {
    let bytes = toy::<f64>().to_bytes().unwrap();
    let e = Toy::<f32>::from_bytes(&bytes).unwrap_err();
    assert!(
        matches!(e, Error::Format { ref reason, .. } if reason.contains("f64") && reason.contains("f32")),
        "{e}"
    );
}

#[test]
fn missing_tensor_or_wrong_shape_is_a_format_error() {
    let mut file = toy::<f64>().to_model_file().unwrap();
    file.tensors.remove("intercept");
    let bytes = file.to_bytes().unwrap();
    assert!(
        matches!(Toy::<f64>::from_bytes(&bytes), Err(Error::Format { reason, .. }) if reason.contains("intercept"))
    );

    let mut file = toy::<f64>().to_model_file().unwrap();
    file.push_f64("intercept", array![1.0, 2.0, 3.0].into_dyn());
    let bytes = file.to_bytes().unwrap();
    assert!(
        matches!(Toy::<f64>::from_bytes(&bytes), Err(Error::Format { reason, .. }) if reason.contains("shape"))
    );

    let mut file = toy::<f64>().to_model_file().unwrap();
    file.push_f64("coef", array![1.0, 2.0, 3.0].into_dyn());
    let bytes = file.to_bytes().unwrap();
    assert!(matches!(
        Toy::<f64>::from_bytes(&bytes),
        Err(Error::Format { .. })
    ));

    let mut file = toy::<f64>().to_model_file().unwrap();
    file.push_f64("counts", array![1.0, 2.0].into_dyn());
    let bytes = file.to_bytes().unwrap();
    assert!(matches!(
        Toy::<f64>::from_bytes(&bytes),
        Err(Error::Format { .. })
    ));

    let mut file = toy::<f64>().to_model_file().unwrap();
    file.metadata.classes = None;
    assert!(matches!(
        Toy::<f64>::from_bytes(&file.to_bytes().unwrap()),
        Err(Error::Format { .. })
    ));

    let mut file = toy::<f64>().to_model_file().unwrap();
    file.metadata.hyperparameters = serde_json::json!({"alpha": "x"});
    assert!(matches!(
        Toy::<f64>::from_bytes(&file.to_bytes().unwrap()),
        Err(Error::Format { .. })
    ));
}

#[test]
fn other_kind_is_wrong_model_kind() {
    let dir = TempDir::new("kind");
    let p = dir.0.join("other.safetensors");
    Other.save(&p).unwrap();
    let e = Toy::<f64>::load(&p).unwrap_err();
    assert!(
        matches!(&e, Error::WrongModelKind { expected, found } if expected == "Toy" && found == "Other"),
        "{e}"
    );
    assert!(e.to_string().contains("Other"));
}

#[test]
fn newer_version_is_unsupported_everywhere() {
    let dir = TempDir::new("newer");
    let p = dir.0.join("future.safetensors");
    let file = toy::<f64>().to_model_file().unwrap();
    let bytes = with_metadata(&file, |m| {
        m.insert("format_version".into(), (FORMAT_VERSION + 1).to_string());
    });
    fs::write(&p, &bytes).unwrap();
    let newer = |r: Result<_>| {
        matches!(r, Err(Error::UnsupportedVersion { found, supported })
            if found == FORMAT_VERSION + 1 && supported == FORMAT_VERSION)
    };
    assert!(newer(Toy::<f64>::load(&p).map(|_| ())));
    assert!(newer(Toy::<f64>::from_bytes(&bytes).map(|_| ())));
    assert!(newer(inspect(&p).map(|_| ())));
    // Version checked before kind: a newer file of another kind is still
    // reported as a version problem.
    assert!(newer(Other::load(&p).map(|_| ())));
}

#[test]
fn bad_metadata_values_are_format_errors() {
    let file = toy::<f64>().to_model_file().unwrap();
    type Edit = Box<dyn Fn(&mut BTreeMap<String, String>)>;
    let cases: Vec<Edit> = vec![
        Box::new(|m| {
            m.insert("format".into(), "pytorch".into());
        }),
        Box::new(|m| {
            m.remove("format");
        }),
        Box::new(|m| {
            m.insert("format_version".into(), "one".into());
        }),
        Box::new(|m| {
            m.insert("format_version".into(), "0".into());
        }),
        Box::new(|m| {
            m.insert("format_version".into(), "-1".into());
        }),
        Box::new(|m| {
            m.remove("kind");
        }),
        Box::new(|m| {
            m.insert("n_features".into(), "three".into());
        }),
        Box::new(|m| {
            m.insert("hyperparameters".into(), "{not json".into());
        }),
        Box::new(|m| {
            m.insert("classes".into(), "[".into());
        }),
    ];
    for (i, edit) in cases.iter().enumerate() {
        let bytes = with_metadata(&file, edit);
        let r = Toy::<f64>::from_bytes(&bytes);
        assert!(matches!(r, Err(Error::Format { .. })), "case {i}: {r:?}");
    }
    // Plain safetensors without metadata (e.g. from PyTorch).
    let plain = encode_safetensors(&file.tensors, None, false).unwrap();
    assert!(matches!(
        Toy::<f64>::from_bytes(&plain),
        Err(Error::Format { reason, .. }) if reason.contains("not an oxilearn")
    ));
}

#[test]
fn garbage_is_a_format_error() {
    for bytes in [
        &b""[..],
        b"\x00",
        b"hello world, not a model",
        b"\x02\x00\x00\x00\x00\x00\x00\x00{}",
        b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ",
        b"\x08\x00\x00\x00\x00\x00\x00\x00\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8",
    ] {
        let r = Toy::<f64>::from_bytes(bytes);
        assert!(matches!(r, Err(Error::Format { .. })), "{bytes:?}: {r:?}");
    }
}

#[test]
fn unsupported_tensor_dtype_is_a_format_error() {
    // A valid safetensors file with an I32 tensor, written by hand.
    let header = br#"{"x":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend(header);
    bytes.extend([1, 0, 0, 0]);
    let dir = TempDir::new("i32");
    let p = dir.0.join("i32.safetensors");
    fs::write(&p, &bytes).unwrap();
    assert!(
        matches!(read_safetensors(&p), Err(Error::Format { reason, .. }) if reason.contains("i32"))
    );
}

#[test]
fn truncation_at_every_offset_is_a_format_error() {
    let dir = TempDir::new("trunc");
    let p = dir.0.join("t.safetensors");
    let full = toy::<f32>().to_bytes().unwrap();
    for cut in 0..full.len() {
        let r = Toy::<f32>::from_bytes(&full[..cut]);
        assert!(
            matches!(r, Err(Error::Format { .. })),
            "cut at {cut}: {r:?}"
        );
        fs::write(&p, &full[..cut]).unwrap();
        let r = inspect(&p);
        assert!(
            matches!(r, Err(Error::Format { .. })),
            "inspect cut at {cut}: {r:?}"
        );
    }
    // Extra trailing bytes are corruption too.
    let mut longer = full.clone();
    longer.push(0);
    assert!(matches!(
        Toy::<f32>::from_bytes(&longer),
        Err(Error::Format { .. })
    ));
}

#[test]
fn atomic_save_leaves_no_temp_file_and_keeps_old_file_on_failure() {
    let dir = TempDir::new("atomic");
    let p = dir.0.join("model.safetensors");
    let good = toy::<f64>();
    good.save(&p).unwrap();
    let before = fs::read(&p).unwrap();

    let mut bad = toy::<f64>();
    bad.fail_to_serialise = true;
    assert!(matches!(bad.save(&p), Err(Error::InvalidParameter { .. })));
    assert_eq!(fs::read(&p).unwrap(), before);
    assert_eq!(dir.entries(), vec!["model.safetensors".to_string()]);

    // Overwriting replaces the file completely.
    let mut other = toy::<f64>();
    other.coef[[0, 0]] = 42.0;
    other.save(&p).unwrap();
    assert_eq!(Toy::<f64>::load(&p).unwrap(), other);
    assert_eq!(dir.entries(), vec!["model.safetensors".to_string()]);

    // A write that fails (directory missing) is an Io error naming the path.
    let missing = dir.0.join("no/such/dir/model.safetensors");
    assert!(matches!(good.save(&missing), Err(Error::Io { path: Some(pp), .. }) if pp == missing));
    // Loading a missing file is Io as well.
    assert!(matches!(Toy::<f64>::load(&missing), Err(Error::Io { .. })));
    assert!(matches!(inspect(&missing), Err(Error::Io { .. })));
}

#[test]
fn plain_safetensors_round_trip_keeps_metadata() {
    let dir = TempDir::new("plain");
    let p = dir.0.join("plain.safetensors");
    let mut tensors = BTreeMap::new();
    tensors.insert(
        "a".to_string(),
        TensorData::I64(array![[1i64, -2]].into_dyn()),
    );
    tensors.insert("b".to_string(), TensorData::F32(array![0.25f32].into_dyn()));
    let mut meta = BTreeMap::new();
    meta.insert("framework".to_string(), "test".to_string());
    write_safetensors(&p, &tensors, Some(&meta)).unwrap();
    let (t, m) = read_safetensors(&p).unwrap();
    assert_eq!((t, m), (tensors.clone(), meta));
    tensors.insert(
        "__metadata__".into(),
        TensorData::F32(array![1.0f32].into_dyn()),
    );
    assert!(matches!(
        write_safetensors(&p, &tensors, None),
        Err(Error::Format { .. })
    ));
}

#[test]
fn fingerprint_is_stable() {
    // Python: FNV-1a 64 over b"f64" + <Q 1 + <Q 2 + <d 1.0 + <d 2.0
    assert_eq!(
        fingerprint(array![[1.0, 2.0]].view()),
        "fnv1a64:288df9cf192b0555"
    );
    assert_ne!(
        fingerprint(array![[1.0, 2.0]].view()),
        fingerprint(array![[1.0], [2.0]].view())
    );
}

#[test]
fn reads_files_written_by_python_safetensors() {
    // In the venv of benches/peers/setup.sh:
    // python -c "
    // import numpy as np
    // from safetensors.numpy import save
    // b = save({'conv1.weight': np.arange(6, dtype=np.float32).reshape(1,2,3)*0.5,
    //           'idx': np.array([3,-1], dtype=np.int64)}, metadata={'format':'pt'})
    // print(b.hex())"
    const HEX: &str = "a0000000000000007b225f5f6d657461646174615f5f223a7b22666f726d6174223a227074227d2c22696478223a7b226474797065223a22493634222c227368617065223a5b325d2c22646174615f6f666673657473223a5b302c31365d7d2c22636f6e76312e776569676874223a7b226474797065223a22463332222c227368617065223a5b312c322c335d2c22646174615f6f666673657473223a5b31362c34305d7d7d20200300000000000000ffffffffffffffff000000000000003f0000803f0000c03f0000004000002040";
    let bytes: Vec<u8> = (0..HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&HEX[i..i + 2], 16).unwrap())
        .collect();
    let dir = TempDir::new("python");
    let p = dir.0.join("torch.safetensors");
    fs::write(&p, &bytes).unwrap();
    let (tensors, meta) = read_safetensors(&p).unwrap();
    assert_eq!(meta["format"], "pt");
    assert_eq!(
        tensors["conv1.weight"],
        TensorData::F32(
            ArrayD::from_shape_vec(IxDyn(&[1, 2, 3]), vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5]).unwrap()
        )
    );
    assert_eq!(tensors["idx"], TensorData::I64(array![3i64, -1].into_dyn()));
    // Not an oxilearn model file: `format` is "pt".
    assert!(matches!(inspect(&p), Err(Error::Format { .. })));
}

#[test]
fn checksum_is_recorded_inspected_and_verified() {
    let dir = TempDir::new("checksum");
    let p = dir.0.join("m.safetensors");
    let model = toy::<f64>();
    model.save(&p).unwrap();
    let meta = inspect(&p).unwrap();
    let recorded = meta.checksum.clone().unwrap();
    assert!(
        recorded.starts_with("crc32:") && recorded.len() == 6 + 8,
        "{recorded}"
    );
    // Reading verifies it and keeps it in the metadata.
    let file = ModelFile::read(&p).unwrap();
    assert_eq!(file.metadata.checksum.as_deref(), Some(recorded.as_str()));
    // Written again, the same content has the same checksum.
    assert_eq!(file.to_bytes().unwrap(), fs::read(&p).unwrap());
    // Another value, another checksum.
    let mut other = toy::<f64>();
    other.coef[[0, 0]] = 1.25;
    let other = ModelFile::from_bytes(&other.to_bytes().unwrap()).unwrap();
    assert_ne!(other.metadata.checksum, Some(recorded));
}

#[test]
fn every_single_bit_flip_is_detected() {
    // Header and data alike: no flipped bit loads (issue: flipped bits in the
    // tensor data of a version-1 file loaded as non-finite parameters).
    let bytes = toy::<f64>().to_bytes().unwrap();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            let r = Toy::<f64>::from_bytes(&b);
            assert!(
                matches!(
                    r,
                    Err(Error::Format { .. }
                        | Error::UnsupportedVersion { .. }
                        | Error::WrongModelKind { .. })
                ),
                "byte {i} bit {bit}: {r:?}"
            );
        }
    }
}

#[test]
fn checksum_mismatch_names_the_checksum() {
    let mut bytes = toy::<f64>().to_bytes().unwrap();
    let last = bytes.len() - 1; // a byte of tensor data
    bytes[last] ^= 0x01;
    let e = ModelFile::from_bytes(&bytes).unwrap_err();
    assert!(
        matches!(&e, Error::Format { location: Some(l), reason, .. }
            if l.contains("checksum") && reason.contains("corrupted or modified")),
        "{e}"
    );
}

#[test]
fn version_2_requires_a_checksum_and_version_1_has_none() {
    let file = toy::<f64>().to_model_file().unwrap();
    // A version-2 file without a checksum is refused.
    let m = file.metadata_map().unwrap();
    let bytes = encode_safetensors(&file.tensors, Some(&m), false).unwrap();
    let e = Toy::<f64>::from_bytes(&bytes).unwrap_err();
    assert!(
        matches!(&e, Error::Format { reason, .. } if reason.contains("checksum")),
        "{e}"
    );
    // A version-1 file (no checksum) loads; written again it stays version 1.
    let mut v1 = file.clone();
    v1.metadata.format_version = 1;
    let bytes = v1.to_bytes().unwrap();
    let back = ModelFile::from_bytes(&bytes).unwrap();
    assert_eq!(
        (back.metadata.format_version, back.metadata.checksum),
        (1, None)
    );
    assert_eq!(Toy::<f64>::from_bytes(&bytes).unwrap(), toy::<f64>());
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    assert!(!meta.metadata().as_ref().unwrap().contains_key("checksum"));
}

#[test]
fn reads_a_version_2_file_written_by_hand_in_python() {
    // Header in Python's json.dumps spacing and key order, checksum computed
    // by the recipe in the `checksum` module docs, in the venv of benches/peers/setup.sh:
    // python -c "
    // import json, struct, zlib
    // def checksum(raw):  # the recipe of src/persist/checksum.rs
    //     n = struct.unpack('<Q', raw[:8])[0]
    //     header = json.loads(raw[8:8 + n]); data = raw[8 + n:]
    //     meta = header.pop('__metadata__')
    //     u = lambda v: struct.pack('<Q', v)
    //     s = lambda t: u(len(t.encode())) + t.encode()
    //     c = 0
    //     for k in sorted(meta):
    //         if k != 'checksum':
    //             c = zlib.crc32(s(k) + s(meta[k]), c)
    //     for name in sorted(header):
    //         t = header[name]; a, b = t['data_offsets']
    //         c = zlib.crc32(s(name) + s(t['dtype']) + u(len(t['shape']))
    //                        + b''.join(u(d) for d in t['shape']) + u(b - a) + data[a:b], c)
    //     return 'crc32:%08x' % c
    // def build(meta):
    //     header = {'__metadata__': meta,
    //               'w': {'dtype': 'F64', 'shape': [3], 'data_offsets': [0, 24]},
    //               'n': {'dtype': 'I64', 'shape': [1], 'data_offsets': [24, 32]}}
    //     h = json.dumps(header).encode(); h += b' ' * (-len(h) % 8)
    //     return struct.pack('<Q', len(h)) + h + struct.pack('<3d', 1.5, -2.0, 0.25) + struct.pack('<q', 7)
    // meta = {'format': 'oxilearn', 'format_version': '2', 'kind': 'Weights', 'crate_version': 'python',
    //         'dtype': 'f64', 'n_features': '3', 'hyperparameters': 'null', 'user.tag': 'by hand'}
    // meta['checksum'] = checksum(build(meta))
    // print(meta['checksum']); print(build(meta).hex())"
    const CHECKSUM: &str = "crc32:eb221171";
    const HEX: &str = "60010000000000007b225f5f6d657461646174615f5f223a207b22666f726d6174223a20226f78696c6561726e222c2022666f726d61745f76657273696f6e223a202232222c20226b696e64223a202257656967687473222c202263726174655f76657273696f6e223a2022707974686f6e222c20226474797065223a2022663634222c20226e5f6665617475726573223a202233222c20226879706572706172616d6574657273223a20226e756c6c222c2022757365722e746167223a202262792068616e64222c2022636865636b73756d223a202263726333323a6562323231313731227d2c202277223a207b226474797065223a2022463634222c20227368617065223a205b335d2c2022646174615f6f666673657473223a205b302c2032345d7d2c20226e223a207b226474797065223a2022493634222c20227368617065223a205b315d2c2022646174615f6f666673657473223a205b32342c2033325d7d7d202020000000000000f83f00000000000000c0000000000000d03f0700000000000000";
    let bytes: Vec<u8> = (0..HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&HEX[i..i + 2], 16).unwrap())
        .collect();
    let mut file = ModelFile::from_bytes(&bytes).unwrap();
    assert_eq!(file.metadata.checksum.as_deref(), Some(CHECKSUM));
    assert_eq!(file.metadata.user["tag"], "by hand");
    assert_eq!(
        file.take_array1::<f64>("w", Some(3)).unwrap(),
        array![1.5, -2.0, 0.25]
    );
    // Our writer's bytes differ (spacing, order) but the checksum is the same.
    let mut ours = ModelFile::new("Weights", "f64")
        .with_n_features(3)
        .with_user("tag", "by hand");
    ours.metadata.crate_version = "python".into();
    ours.push_f64("w", array![1.5, -2.0, 0.25].into_dyn());
    ours.push_i64("n", array![7i64].into_dyn());
    let ours = ModelFile::from_bytes(&ours.to_bytes().unwrap()).unwrap();
    assert_eq!(ours.metadata.checksum.as_deref(), Some(CHECKSUM));
    // One changed metadata value (the tag) is detected.
    let edited = HEX.replace("62792068616e64", "62792068616e65"); // "by hand" -> "by hane"
    let edited: Vec<u8> = (0..edited.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&edited[i..i + 2], 16).unwrap())
        .collect();
    assert!(matches!(
        ModelFile::from_bytes(&edited),
        Err(Error::Format { .. })
    ));
}

#[test]
fn non_finite_parameters_are_refused_naming_tensor_and_index() {
    for (value, text) in [
        (f64::NAN, "NaN"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
    ] {
        let mut model = toy::<f64>();
        model.coef[[1, 2]] = value;
        let e = Toy::<f64>::from_bytes(&model.to_bytes().unwrap()).unwrap_err();
        assert!(
            matches!(&e, Error::Format { location: Some(l), reason, .. }
                if l == "tensor `coef` at index [1, 2]" && reason.starts_with(text)),
            "{e}"
        );
        let mut model = toy::<f32>();
        model.intercept[1] = value as f32;
        let e = Toy::<f32>::from_bytes(&model.to_bytes().unwrap()).unwrap_err();
        assert!(
            matches!(&e, Error::Format { location: Some(l), .. } if l == "tensor `intercept` at index [1]"),
            "{e}"
        );
    }
    // Errors about a file read from a path name the path.
    let dir = TempDir::new("nonfinite");
    let p = dir.0.join("nan.safetensors");
    let mut model = toy::<f64>();
    model.coef[[0, 0]] = f64::NAN;
    model.save(&p).unwrap();
    let e = Toy::<f64>::load(&p).unwrap_err();
    assert!(
        matches!(&e, Error::Format { source_name, .. } if source_name.contains("nan.safetensors")),
        "{e}"
    );
}

#[test]
fn hyperparameters_fit_refuses_are_format_errors() {
    let file = toy::<f64>().to_model_file().unwrap();
    let e = file
        .check_hyperparameters(Err(Error::invalid("gamma", "must be > 0, got -1")))
        .unwrap_err();
    assert!(
        matches!(&e, Error::Format { location: Some(l), reason, .. }
            if l == "hyperparameter `gamma`" && reason.contains("must be > 0, got -1")),
        "{e}"
    );
    assert!(file.check_hyperparameters(Ok(())).is_ok());
    assert!(matches!(
        file.check_hyperparameters(Err(Error::SingleClass)),
        Err(Error::SingleClass)
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let r = Toy::<f64>::from_bytes(&bytes);
        let ok = matches!(r, Err(Error::Format { .. }));
        prop_assert!(ok, "{:?}", r.err());
    }

    #[test]
    fn arbitrary_headers_never_panic(header in "\\PC{0,200}", tail in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend(header.as_bytes());
        bytes.extend(tail);
        let r = ModelFile::from_bytes(&bytes);
        prop_assert!(r.is_err());
    }

    #[test]
    fn corrupted_files_never_panic(pos in 0usize..10_000, byte in any::<u8>()) {
        let mut bytes = toy::<f32>().to_bytes().unwrap();
        let pos = pos % bytes.len();
        bytes[pos] = byte;
        // Either still a valid model (a data byte changed) or a typed error.
        match Toy::<f32>::from_bytes(&bytes) {
            Ok(_) => {}
            Err(Error::Format { .. } | Error::UnsupportedVersion { .. } | Error::WrongModelKind { .. }) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}
