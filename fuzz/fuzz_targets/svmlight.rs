//! svmlight / libsvm reader: any bytes, under any options → Ok with a consistent
//! CSR matrix, or a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxilearn::Error;
use oxilearn::data::{SvmlightReader, ZeroBased};

fuzz_target!(|data: &[u8]| {
    let Some((&opts, text)) = data.split_first() else {
        return;
    };
    let mut reader = SvmlightReader::new().zero_based(match opts % 3 {
        0 => ZeroBased::Auto,
        1 => ZeroBased::Yes,
        _ => ZeroBased::No,
    });
    if opts & 0x80 != 0 {
        reader = reader.n_features(usize::from(opts & 0x0f));
    }
    match reader.read(text, "fuzz") {
        Ok(d) => {
            let x = &d.records;
            assert_eq!(x.rows(), d.targets.len());
            assert!(x.is_csr());
            assert!(x.data().iter().all(|v| v.is_finite()));
            assert!(d.targets.iter().all(|v| v.is_finite()));
            assert!(x.indices().iter().all(|&j| j < x.cols()));
            if let Some(q) = &d.query_ids {
                assert_eq!(q.len(), x.rows());
            }
        }
        Err(e) => assert!(
            matches!(
                e,
                Error::Format { .. } | Error::EmptyInput { .. } | Error::Io { .. }
            ),
            "unexpected error kind: {e:?}"
        ),
    }
});
