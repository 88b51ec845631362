//! Outlier detection.
//!
//! - [`OutlierClipper`] → [`FittedOutlierClipper`]: per-feature bounds from
//!   Tukey's IQR fences or a z-score rule; clips values into them or flags
//!   the rows outside them (−1 = outlier, +1 = inlier, scikit-learn's
//!   convention for outlier detectors).
//! - [`IsolationForest`] → [`FittedIsolationForest`]: scikit-learn's
//!   isolation forest (anomaly scores, decision function, ±1 predictions),
//!   trees grown in parallel, the same on any thread count.
//! - [`LocalOutlierFactor`] → [`FittedLocalOutlierFactor`]: scikit-learn's
//!   local outlier factor (density relative to the k nearest neighbours),
//!   for the training rows (outlier detection) or new rows (novelty
//!   detection).
//!
//! # Example
//! ```
//! use oxilearn::prelude::*;
//! use oxilearn::outlier::OutlierClipper;
//!
//! let x = array![[10.0, 1.0], [11.0, 1.5], [12.0, 1.2], [11.5, 90.0], [10.5, 1.1]];
//! let flags = OutlierClipper::new().fit(x.view())?.predict(x.view())?;
//! assert_eq!(flags.to_vec(), [1, 1, 1, -1, 1]);
//! # Ok::<(), oxilearn::Error>(())
//! ```

#![forbid(unsafe_code)]

mod clipper;
mod isolation;
mod lof;

pub use clipper::{FittedOutlierClipper, OutlierClipper, OutlierRule};
pub use isolation::{
    Contamination, FittedIsolationForest, IsolationForest, MaxFeatures, MaxSamples,
};
pub use lof::{FittedLocalOutlierFactor, LocalOutlierFactor};
