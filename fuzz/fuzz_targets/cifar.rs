//! CIFAR-10 binary reader: any bytes → Ok or `Error::Format`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxilearn::Error;
use oxilearn::data::{encode_cifar10, parse_cifar10};

fuzz_target!(|data: &[u8]| {
    match parse_cifar10(data) {
        Ok(set) => {
            assert_eq!(set.images.dim().0, set.labels.len());
            assert_eq!(encode_cifar10(set.images.view(), set.labels.view()).unwrap(), data);
        }
        Err(Error::Format { .. }) => {}
        Err(e) => panic!("unexpected error kind: {e:?}"),
    }
});
