//! Table reader: any bytes (plain or gzip) → a table or a typed error, never
//! a panic; chunked reading with types inferred from every row agrees with
//! the whole-input read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxilearn::Error;
use oxilearn::data::CsvReader;

fuzz_target!(|data: &[u8]| {
    let reader = CsvReader::new();
    let whole = reader.parse(data, "fuzz");
    if let Err(e) = &whole {
        assert!(
            matches!(e, Error::Format { .. } | Error::InvalidParameter { .. }),
            "unexpected error kind: {e:?}"
        );
    }
    let Ok(chunks) = reader.clone().infer_rows(usize::MAX).chunks(data, "fuzz", 3) else {
        assert!(whole.is_err());
        return;
    };
    let mut all: Option<oxilearn::data::Table> = None;
    let mut failed = false;
    for chunk in chunks {
        match chunk {
            Ok(t) => {
                assert!(t.n_rows() <= 3 && t.n_rows() > 0);
                match &mut all {
                    Some(a) => a.append(t).expect("chunks share names and types"),
                    None => all = Some(t),
                }
            }
            Err(e) => {
                assert!(matches!(e, Error::Format { .. }), "unexpected error kind: {e:?}");
                failed = true;
            }
        }
    }
    if let Ok(t) = &whole {
        assert!(!failed);
        match all {
            // Compare via their debug text: NaN != NaN in PartialEq.
            Some(a) => assert_eq!(format!("{a:?}"), format!("{t:?}")),
            None => assert_eq!(t.n_rows(), 0),
        }
    }
});
