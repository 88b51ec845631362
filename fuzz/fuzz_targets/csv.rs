//! CSV reader: any bytes → Ok or a typed error; chunked and whole-file
//! reading agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxilearn::Error;
use oxilearn::data::{CsvChunks, parse_csv};

fuzz_target!(|data: &[u8]| {
    // Use the first header field as the target so the data rows get parsed.
    let target = data
        .split(|&b| b == b',' || b == b'\n')
        .next()
        .and_then(|f| std::str::from_utf8(f).ok())
        .unwrap_or("y")
        .trim()
        .to_string();
    let whole = parse_csv(data, "fuzz", &target);
    if let Err(e) = &whole {
        assert!(
            matches!(e, Error::Format { .. } | Error::InvalidParameter { .. } | Error::EmptyInput { .. }),
            "unexpected error kind: {e:?}"
        );
    }
    if let Ok(chunks) = CsvChunks::new(data, "fuzz", &target, 2) {
        let mut rows = 0;
        let mut failed = false;
        for chunk in chunks {
            match chunk {
                Ok((x, y)) => {
                    assert!(x.nrows() <= 2 && x.nrows() == y.len());
                    rows += y.len();
                }
                Err(e) => {
                    assert!(matches!(e, Error::Format { .. }), "unexpected error kind: {e:?}");
                    failed = true;
                }
            }
        }
        if let Ok(ds) = &whole {
            assert!(!failed);
            assert_eq!(ds.n_samples(), rows);
        }
    }
});
