//! MNIST IDX reader: any bytes (plain or gzip) → Ok or `Error::Format`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxilearn::Error;
use oxilearn::data::{encode_idx_images, encode_idx_labels, parse_idx_images, parse_idx_labels};

fuzz_target!(|data: &[u8]| {
    match parse_idx_images(data) {
        Ok(images) => {
            // Whatever parses re-encodes to the same bytes (unless it was gzip).
            if !data.starts_with(&[0x1f, 0x8b]) {
                assert_eq!(encode_idx_images(images.view()).unwrap(), data);
            }
        }
        Err(Error::Format { .. }) => {}
        Err(e) => panic!("unexpected error kind: {e:?}"),
    }
    match parse_idx_labels(data) {
        Ok(labels) => {
            if !data.starts_with(&[0x1f, 0x8b]) {
                assert_eq!(encode_idx_labels(labels.view()), data);
            }
        }
        Err(Error::Format { .. }) => {}
        Err(e) => panic!("unexpected error kind: {e:?}"),
    }
});
