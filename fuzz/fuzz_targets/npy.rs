//! NumPy .npy reader: any bytes → Ok or `Error::Format`, for every element
//! type and for fixed and dynamic ranks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ndarray::{Ix1, Ix2, IxDyn};
use oxilearn::Error;
use oxilearn::data::{encode_npy, parse_npy};

fn ok_or_format<T>(r: &oxilearn::Result<T>) {
    if let Err(e) = r {
        assert!(matches!(e, Error::Format { .. }), "unexpected error kind: {e:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let r = parse_npy::<f64, IxDyn>(data);
    ok_or_format(&r);
    if let Ok(a) = r {
        // Re-encoding and parsing again gives the same array (bitwise, NaNs included).
        let back = parse_npy::<f64, IxDyn>(&encode_npy(a.view())).unwrap();
        assert_eq!(back.shape(), a.shape());
        assert!(back.iter().zip(&a).all(|(x, y)| x.to_bits() == y.to_bits()));
    }
    ok_or_format(&parse_npy::<f32, Ix2>(data));
    ok_or_format(&parse_npy::<i64, Ix1>(data));
    ok_or_format(&parse_npy::<u8, IxDyn>(data));
});
