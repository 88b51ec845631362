//! Fuzz the model-file reader: arbitrary bytes must give `Ok` or a typed
//! error (`Format`, `UnsupportedVersion`, `WrongModelKind`), never a panic or
//! an allocation larger than the input.
//!
//! Run: `cargo +nightly fuzz run model_file` (from the repository root).
//! Seed corpus: `mkdir -p fuzz/corpus/model_file && cp tests/fixtures/persist/v1/* fuzz/corpus/model_file/`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use oxilearn::Error;
use oxilearn::persist::{ModelFile, Persist};
use oxilearn::preprocessing::{FittedLabelEncoder, FittedMinMaxScaler, FittedStandardScaler};

fn typed<T>(r: oxilearn::Result<T>) {
    match r {
        Ok(_)
        | Err(Error::Format { .. })
        | Err(Error::UnsupportedVersion { .. })
        | Err(Error::WrongModelKind { .. }) => {}
        Err(e) => panic!("unexpected error kind: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    typed(ModelFile::from_bytes(data));
    typed(FittedStandardScaler::<f64>::from_bytes(data));
    typed(FittedMinMaxScaler::<f32>::from_bytes(data));
    typed(FittedLabelEncoder::<String>::from_bytes(data));
});
