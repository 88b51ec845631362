//! The rows that flow between dynamic steps: [`Features`] (borrowed) and
//! [`OwnedFeatures`], plus the float casts the step impls share.

use std::any::{Any, TypeId};

use ndarray::{Array, Array2, ArrayView, ArrayView2, Axis, CowArray, Dimension, Ix2};

use crate::Float;
use crate::data::Table;
use crate::error::Result;

/// The rows a dynamic step receives: a numeric `f64` matrix (one row per
/// sample, one column per feature), or a typed [`Table`] (named numeric,
/// categorical and boolean columns) for the steps that read one (imputers,
/// encoders, `ColumnTransformer`).
///
/// Pipelines, searches and the registry pass `Features` between steps so that
/// one object-safe interface serves every model. Anything that borrows as an
/// `f64` matrix converts into it with `.into()`.
///
/// # Example
/// ```
/// use oxilearn::compose::Features;
/// use oxilearn::ndarray::array;
///
/// let x = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
/// let f = Features::from(&x);
/// assert_eq!((f.n_rows(), f.n_columns()), (3, 2));
/// let fold = f.select_rows(&[2, 0]);
/// assert_eq!(fold.view().to_matrix()?, array![[5.0, 6.0], [1.0, 2.0]]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Features<'a> {
    /// A numeric matrix, `n_rows × n_features`.
    Matrix(ArrayView2<'a, f64>),
    /// A table of named, typed columns (missing values allowed).
    Table(&'a Table),
}

impl<'a> Features<'a> {
    /// The same features with a shorter lifetime (views are invariant in
    /// their lifetime, so this is how two borrows meet).
    pub fn reborrow<'b>(self) -> Features<'b>
    where
        'a: 'b,
    {
        match self {
            Features::Matrix(x) => Features::Matrix(x.reborrow()),
            Features::Table(t) => Features::Table(t),
        }
    }

    /// Number of rows (samples).
    pub fn n_rows(&self) -> usize {
        match self {
            Features::Matrix(x) => x.nrows(),
            Features::Table(t) => t.n_rows(),
        }
    }

    /// Number of columns (input features).
    pub fn n_columns(&self) -> usize {
        match self {
            Features::Matrix(x) => x.ncols(),
            Features::Table(t) => t.n_columns(),
        }
    }

    /// The rows `rows` (in that order, repeats allowed), owned: what a
    /// cross-validation fold trains or tests on.
    ///
    /// # Panics
    /// If a row index is out of bounds (splitters only produce valid ones).
    pub fn select_rows(&self, rows: &[usize]) -> OwnedFeatures {
        match self {
            Features::Matrix(x) => OwnedFeatures::Matrix(x.select(Axis(0), rows)),
            Features::Table(t) => OwnedFeatures::Table(t.select_rows(rows)),
        }
    }

    /// The features as an all-numeric `f64` matrix (borrowed when possible).
    ///
    /// # Errors
    /// None for a matrix; [`Error::ColumnType`](crate::Error::ColumnType)
    /// naming the first categorical column of a table (numeric columns keep
    /// NaN for missing values, booleans become 0/1).
    pub fn to_matrix(&self) -> Result<CowArray<'a, f64, Ix2>> {
        match *self {
            Features::Matrix(x) => Ok(CowArray::from(x)),
            Features::Table(t) => Ok(CowArray::from(t.to_matrix()?)),
        }
    }
}

impl<'a> From<ArrayView2<'a, f64>> for Features<'a> {
    fn from(x: ArrayView2<'a, f64>) -> Self {
        Features::Matrix(x)
    }
}

impl<'a> From<&'a Array2<f64>> for Features<'a> {
    fn from(x: &'a Array2<f64>) -> Self {
        Features::Matrix(x.view())
    }
}

impl<'a> From<&'a ArrayView2<'_, f64>> for Features<'a> {
    fn from(x: &'a ArrayView2<'_, f64>) -> Self {
        Features::Matrix(x.view())
    }
}

impl<'a> From<&'a Table> for Features<'a> {
    fn from(t: &'a Table) -> Self {
        Features::Table(t)
    }
}

impl<'a> From<&'a OwnedFeatures> for Features<'a> {
    fn from(x: &'a OwnedFeatures) -> Self {
        x.view()
    }
}

/// Owned [`Features`]: the training or test rows of one fold.
///
/// # Example
/// ```
/// use oxilearn::compose::{Features, OwnedFeatures};
/// use oxilearn::ndarray::array;
///
/// let owned = OwnedFeatures::Matrix(array![[1.0], [2.0]]);
/// assert_eq!(owned.view().n_rows(), 2);
/// let f: Features<'_> = (&owned).into();
/// assert_eq!(f.n_columns(), 1);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum OwnedFeatures {
    /// A numeric matrix.
    Matrix(Array2<f64>),
    /// A typed table.
    Table(Table),
}

impl OwnedFeatures {
    /// A borrowed view.
    pub fn view(&self) -> Features<'_> {
        match self {
            OwnedFeatures::Matrix(x) => Features::Matrix(x.view()),
            OwnedFeatures::Table(t) => Features::Table(t),
        }
    }
}

impl From<Table> for OwnedFeatures {
    fn from(t: Table) -> Self {
        OwnedFeatures::Table(t)
    }
}

impl From<Array2<f64>> for OwnedFeatures {
    fn from(x: Array2<f64>) -> Self {
        OwnedFeatures::Matrix(x)
    }
}

/// `x` as an array of `B` (borrowed when `A` is `B`, converted otherwise).
pub(crate) fn cast_view<'a, A: Float, B: Float, D: Dimension>(
    x: ArrayView<'a, A, D>,
) -> CowArray<'a, B, D> {
    if TypeId::of::<A>() == TypeId::of::<B>() {
        // SAFETY: `A` and `B` are the same type (equal `TypeId`s of 'static
        // types), so the view is reinterpreted as itself; views are `Copy`,
        // so copying the bits duplicates nothing that needs dropping.
        let same: ArrayView<'a, B, D> = unsafe { std::mem::transmute_copy(&x) };
        CowArray::from(same)
    } else {
        CowArray::from(x.mapv(|v| B::from_f64_lossy(v.to_f64_exact())))
    }
}

/// An owned array of `A` as one of `B` (moved when `A` is `B`).
pub(crate) fn cast_owned<A: Float, B: Float, D: Dimension + 'static>(
    x: Array<A, D>,
) -> Array<B, D> {
    let any: Box<dyn Any> = Box::new(x);
    match any.downcast::<Array<B, D>>() {
        Ok(same) => *same,
        Err(any) => match any.downcast::<Array<A, D>>() {
            Ok(x) => x.mapv(|v| B::from_f64_lossy(v.to_f64_exact())),
            Err(_) => unreachable!("the box holds an Array<A, D>"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn casts_borrow_same_type_and_convert_others() {
        let x = array![[1.5f64, -2.0], [3.25, 4.0]];
        let same = cast_view::<f64, f64, _>(x.view());
        assert!(same.is_view());
        assert_eq!(same, x);
        let down = cast_view::<f64, f32, _>(x.view());
        assert!(down.is_owned());
        assert_eq!(down, array![[1.5f32, -2.0], [3.25, 4.0]]);
        // Non-standard layouts survive the reinterpretation.
        let t = cast_view::<f64, f64, _>(x.t());
        assert_eq!(t, x.t());
        assert_eq!(cast_owned::<f32, f64, _>(array![0.5f32]), array![0.5f64]);
        assert_eq!(cast_owned::<f64, f64, _>(array![0.1f64]), array![0.1f64]);
    }

    #[test]
    fn select_rows_repeats_and_orders() {
        let x = array![[0.0], [1.0], [2.0]];
        let f = Features::from(&x);
        assert_eq!(
            f.select_rows(&[2, 2, 0]),
            OwnedFeatures::Matrix(array![[2.0], [2.0], [0.0]])
        );
        assert_eq!(f.select_rows(&[]).view().n_rows(), 0);
    }
}
