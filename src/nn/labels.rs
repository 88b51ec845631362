//! Class labels as the training loop and the loss take them: any unsigned
//! or signed integer type, converted to a class index.

/// A class label that is a class index: `usize`, or the `u8` labels image
/// datasets ship with (MNIST, CIFAR-10), or any other integer type.
/// Negative values are not class indices.
///
/// # Example
/// ```
/// use oxilearn::nn::ClassIndex;
/// assert_eq!(7u8.class_index(), Some(7));
/// assert_eq!((-1i32).class_index(), None);
/// ```
pub trait ClassIndex: Copy + Send + Sync {
    /// The class index, or `None` if the value is not one (negative, or too
    /// large for `usize`).
    fn class_index(self) -> Option<usize>;
}

macro_rules! class_index {
    ($($t:ty),*) => {$(
        impl ClassIndex for $t {
            fn class_index(self) -> Option<usize> {
                usize::try_from(self).ok()
            }
        }
    )*};
}

class_index!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);
