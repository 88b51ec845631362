//! SVG plots of evaluation results (feature `plots`, off by default; drawn
//! with the `plotters` crate's SVG backend, no system fonts needed):
//! [`validation_curve`], [`learning_curve`], [`roc_curve`] and
//! [`confusion_matrix`]. Each returns an [`Svg`] to keep as text or
//! [`save`](Svg::save) to a file.
//!
//! # Example
//! ```
//! use oxilearn::metrics;
//! use oxilearn::ndarray::array;
//! use oxilearn::plots;
//!
//! let y = array![0, 0, 1, 1];
//! let roc = metrics::roc_curve(y.view(), array![0.1, 0.4, 0.35, 0.8].view())?;
//! let svg = plots::roc_curve(&roc)?;
//! assert!(svg.as_str().starts_with("<svg"));
//! svg.save(std::env::temp_dir().join("oxilearn_doc_roc.svg"))?;
//! # Ok::<(), oxilearn::Error>(())
//! ```

#![forbid(unsafe_code)]

use std::fmt::{self, Display};
use std::path::Path;

use ndarray::{Array1, ArrayView2};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};
use crate::metrics::RocCurve;
use crate::model_selection::{LearningCurve, ValidationCurve};

/// Width and height of every plot, in pixels.
const SIZE: (u32, u32) = (640, 440);
const FONT: &str = "sans-serif";
/// scikit-learn / matplotlib's first two colours.
const TRAIN: RGBColor = RGBColor(31, 119, 180);
const TEST: RGBColor = RGBColor(255, 127, 14);

/// An SVG document.
///
/// # Example
/// See the [module](self) documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Svg {
    text: String,
}

impl Svg {
    /// The SVG text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The SVG text, owned.
    pub fn into_string(self) -> String {
        self.text
    }

    /// Writes the SVG to `path` (atomically: a temporary file renamed into
    /// place).
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::persist::write_atomic(path.as_ref(), self.text.as_bytes())
    }
}

impl Display for Svg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A drawing error (only formatting into memory can fail) as an I/O error.
fn draw_err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> Error {
    Error::Io {
        path: None,
        source: std::io::Error::other(format!("drawing the plot: {e}")),
    }
}

/// Renders `draw` on a white canvas into an [`Svg`].
fn render(
    draw: impl FnOnce(
        &DrawingArea<SVGBackend<'_>, Shift>,
    ) -> std::result::Result<(), DrawingAreaErrorKind<std::io::Error>>,
) -> Result<Svg> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        draw(&root).map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    Ok(Svg { text })
}

/// Mean ± std lines of train and test scores along `x`.
struct Bands<'a> {
    title: String,
    x_desc: String,
    x: Vec<f64>,
    /// Tick labels for categorical x (positions 0, 1, …).
    categories: Option<&'a [String]>,
    log_x: bool,
    train: (Array1<f64>, Array1<f64>),
    test: (Array1<f64>, Array1<f64>),
}

/// The finite range of mean ± std over both curves, padded by 5 %.
fn y_range(curves: &[&(Array1<f64>, Array1<f64>)]) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (mean, std) in curves {
        for (m, s) in mean.iter().zip(std.iter()) {
            let s = if s.is_finite() { *s } else { 0.0 };
            if m.is_finite() {
                lo = lo.min(m - s);
                hi = hi.max(m + s);
            }
        }
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-3);
    (lo - pad, hi + pad)
}

fn draw_bands(b: &Bands<'_>) -> Result<Svg> {
    let (y0, y1) = y_range(&[&b.train, &b.test]);
    let (x0, x1) = match b.categories {
        Some(c) => (-0.5, c.len() as f64 - 0.5),
        None => {
            let lo = b.x.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = b.x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if b.log_x {
                (lo / 1.5, hi * 1.5)
            } else {
                let pad = ((hi - lo) * 0.05).max(0.5);
                (lo - pad, hi + pad)
            }
        }
    };
    let series = [
        ("training score", &b.train, TRAIN),
        ("cross-validation score", &b.test, TEST),
    ];
    let points = |(mean, _): &(Array1<f64>, Array1<f64>)| -> Vec<(f64, f64)> {
        b.x.iter()
            .zip(mean.iter())
            .filter(|(_, m)| m.is_finite())
            .map(|(&x, &m)| (x, m))
            .collect()
    };
    let band = |(mean, std): &(Array1<f64>, Array1<f64>)| -> Vec<(f64, f64)> {
        let ok: Vec<usize> = (0..b.x.len())
            .filter(|&i| mean[i].is_finite() && std[i].is_finite())
            .collect();
        let upper = ok.iter().map(|&i| (b.x[i], mean[i] + std[i]));
        let lower = ok.iter().rev().map(|&i| (b.x[i], mean[i] - std[i]));
        upper.chain(lower).collect()
    };
    macro_rules! plot_on {
        ($chart:expr) => {{
            let mut chart = $chart;
            let mut mesh = chart.configure_mesh();
            mesh.x_desc(b.x_desc.as_str())
                .y_desc("score")
                .light_line_style(WHITE.mix(0.0));
            let label = |v: &f64| -> String {
                match b.categories {
                    Some(c) => {
                        let i = v.round();
                        if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < c.len() {
                            c[i as usize].clone()
                        } else {
                            String::new()
                        }
                    }
                    None => format!("{v}"),
                }
            };
            if let Some(c) = b.categories {
                mesh.x_labels(c.len());
            }
            mesh.x_label_formatter(&label).draw()?;
            for (name, curve, color) in series {
                let poly = band(curve);
                if poly.len() > 2 {
                    chart.draw_series(std::iter::once(Polygon::new(poly, color.mix(0.2))))?;
                }
                chart
                    .draw_series(LineSeries::new(points(curve), color.stroke_width(2)))?
                    .label(name)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                    });
                chart.draw_series(
                    points(curve)
                        .into_iter()
                        .map(|p| Circle::new(p, 3, color.filled())),
                )?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK.mix(0.4))
                .draw()?;
            Ok(())
        }};
    }
    render(|root| {
        let mut builder = ChartBuilder::on(root);
        builder
            .caption(b.title.as_str(), (FONT, 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(56);
        if b.log_x {
            plot_on!(builder.build_cartesian_2d((x0..x1).log_scale(), y0..y1)?)
        } else {
            plot_on!(builder.build_cartesian_2d(x0..x1, y0..y1)?)
        }
    })
}

/// The validation curve: mean train and cross-validation scores (±1 std
/// bands) along the parameter. Numeric values spanning a factor of 100 or
/// more get a log axis; values that are not all numbers (`scale`, kernel
/// names) are shown as categories in grid order.
///
/// # Errors
/// [`Error::EmptyInput`] for a curve without values; [`Error::Io`] if
/// drawing fails.
///
/// # Example
/// ```
/// use oxilearn::model_selection::{CrossValidate, KFold, ParamGrid, Scorer, validation_curve};
/// use oxilearn::linear::Ridge;
/// use oxilearn::plots;
///
/// let d = oxilearn::datasets::diabetes();
/// let grid = ParamGrid::new(Ridge::new()).axis("alpha", [0.01, 0.1, 1.0, 10.0], |r: Ridge, a| r.alpha(a));
/// let cv = CrossValidate::new().cv(KFold::new(3)).scorer(Scorer::named("r2")?);
/// let curve = validation_curve(&grid, &d.records, d.targets.view(), &cv)?;
/// let svg = plots::validation_curve(&curve)?;
/// assert!(svg.as_str().contains("alpha"));
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn validation_curve(curve: &ValidationCurve) -> Result<Svg> {
    if curve.param_values.is_empty() {
        return Err(Error::EmptyInput {
            what: "validation curve values",
        });
    }
    let numbers: Option<Vec<f64>> = curve
        .param_values
        .iter()
        .map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    let (x, categories, log_x) = match numbers {
        Some(x) => {
            let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let log = lo > 0.0 && hi / lo >= 100.0;
            (x, None, log)
        }
        None => (
            (0..curve.param_values.len()).map(|i| i as f64).collect(),
            Some(curve.param_values.as_slice()),
            false,
        ),
    };
    draw_bands(&Bands {
        title: format!("Validation curve ({})", curve.param_name),
        x_desc: curve.param_name.clone(),
        x,
        categories,
        log_x,
        train: curve.train_mean_std(),
        test: curve.test_mean_std(),
    })
}

/// The learning curve: mean train and cross-validation scores (±1 std
/// bands) against the number of training samples.
///
/// # Errors
/// [`Error::EmptyInput`] for a curve without sizes; [`Error::Io`] if
/// drawing fails.
///
/// # Example
/// ```
/// use oxilearn::model_selection::{CrossValidate, KFold, LearningCurve, Scorer, learning_curve};
/// use oxilearn::linear::Ridge;
/// use oxilearn::plots;
///
/// let d = oxilearn::datasets::diabetes();
/// let cv = CrossValidate::new().cv(KFold::new(3)).scorer(Scorer::named("r2")?);
/// let curve = learning_curve(&Ridge::new(), &d.records, d.targets.view(), &LearningCurve::default_sizes(), &cv)?;
/// let svg = plots::learning_curve(&curve)?;
/// assert!(svg.as_str().contains("training samples"));
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn learning_curve(curve: &LearningCurve) -> Result<Svg> {
    if curve.train_sizes.is_empty() {
        return Err(Error::EmptyInput {
            what: "learning curve sizes",
        });
    }
    draw_bands(&Bands {
        title: "Learning curve".into(),
        x_desc: "training samples".into(),
        x: curve.train_sizes.iter().map(|&n| n as f64).collect(),
        categories: None,
        log_x: false,
        train: curve.train_mean_std(),
        test: curve.test_mean_std(),
    })
}

/// The ROC curve (true against false positive rate) with its AUC in the
/// legend and the chance diagonal.
///
/// # Errors
/// [`Error::EmptyInput`] for a curve without points; [`Error::Io`] if
/// drawing fails.
///
/// # Example
/// See the [module](self) documentation.
pub fn roc_curve(roc: &RocCurve) -> Result<Svg> {
    if roc.fpr.is_empty() {
        return Err(Error::EmptyInput { what: "ROC curve" });
    }
    let auc = roc.auc();
    render(|root| {
        let mut chart = ChartBuilder::on(root)
            .caption("ROC curve", (FONT, 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.01..1.01, -0.01..1.01)?;
        chart
            .configure_mesh()
            .x_desc("false positive rate")
            .y_desc("true positive rate")
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        chart.draw_series(LineSeries::new(
            vec![(0.0, 0.0), (1.0, 1.0)],
            BLACK.mix(0.3).stroke_width(1),
        ))?;
        let points: Vec<(f64, f64)> = roc
            .fpr
            .iter()
            .copied()
            .zip(roc.tpr.iter().copied())
            .collect();
        chart
            .draw_series(LineSeries::new(points, TRAIN.stroke_width(2)))?
            .label(format!("ROC (AUC = {auc:.3})"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], TRAIN.stroke_width(2)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.4))
            .draw()?;
        Ok(())
    })
}

/// The confusion matrix as a heat map (rows: true label, top to bottom;
/// columns: predicted label), each cell with its count — the layout of
/// scikit-learn's `ConfusionMatrixDisplay`. Takes the output of
/// [`metrics::confusion_matrix`](crate::metrics::confusion_matrix).
///
/// # Errors
/// [`Error::ShapeMismatch`] when `cm` is not square with one row per
/// label; [`Error::EmptyInput`] for no labels; [`Error::Io`] if drawing
/// fails.
///
/// # Example
/// ```
/// use oxilearn::metrics::confusion_matrix;
/// use oxilearn::ndarray::array;
/// use oxilearn::plots;
///
/// let (cm, labels) = confusion_matrix(array!["a", "b", "b", "c"].view(), array!["a", "b", "c", "c"].view())?;
/// let svg = plots::confusion_matrix(cm.view(), &labels)?;
/// assert!(svg.as_str().contains("predicted label"));
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn confusion_matrix<T: Display>(cm: ArrayView2<'_, usize>, labels: &[T]) -> Result<Svg> {
    let k = labels.len();
    if k == 0 {
        return Err(Error::EmptyInput {
            what: "confusion matrix labels",
        });
    }
    if cm.dim() != (k, k) {
        return Err(Error::ShapeMismatch {
            what: "confusion matrix (labels × labels)",
            expected: vec![k, k],
            got: cm.shape().to_vec(),
        });
    }
    let names: Vec<String> = labels.iter().map(ToString::to_string).collect();
    let max = cm.iter().copied().max().unwrap_or(0).max(1) as f64;
    // White to matplotlib's "Blues" darkest blue.
    let shade = |v: usize| {
        let t = v as f64 / max;
        let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
        RGBColor(mix(247, 8), mix(251, 48), mix(255, 107))
    };
    let kk = k as i32;
    render(|root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Confusion matrix", (FONT, 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(80)
            // Integer ranges are inclusive here: 0..k-1 is k cells.
            .build_cartesian_2d((0..kk - 1).into_segmented(), (0..kk - 1).into_segmented())?;
        let label_of = |v: &SegmentValue<i32>, flip: bool| -> String {
            match v {
                SegmentValue::CenterOf(i) if (0..kk).contains(i) => {
                    let i = if flip { kk - 1 - i } else { *i };
                    names[i as usize].clone()
                }
                _ => String::new(),
            }
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("predicted label")
            .y_desc("true label")
            .x_labels(k)
            .y_labels(k)
            .x_label_formatter(&|v| label_of(v, false))
            .y_label_formatter(&|v| label_of(v, true))
            .draw()?;
        let cells = (0..k).flat_map(|i| (0..k).map(move |j| (i, j)));
        chart.draw_series(cells.clone().map(|(i, j)| {
            let (x, y) = (j as i32, kk - 1 - i as i32);
            Rectangle::new(
                [
                    (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                    (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                ],
                shade(cm[[i, j]]).filled(),
            )
        }))?;
        chart.draw_series(cells.map(|(i, j)| {
            let v = cm[[i, j]];
            let color = if v as f64 / max > 0.5 { WHITE } else { BLACK };
            let style = (FONT, 16)
                .into_font()
                .color(&color)
                .pos(Pos::new(HPos::Center, VPos::Center));
            Text::new(
                v.to_string(),
                (
                    SegmentValue::CenterOf(j as i32),
                    SegmentValue::CenterOf(kk - 1 - i as i32),
                ),
                style,
            )
        }))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, array};

    #[test]
    fn confusion_matrix_checks_its_shape() {
        let cm = Array2::<usize>::zeros((2, 3));
        assert!(matches!(
            confusion_matrix(cm.view(), &["a", "b"]),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            confusion_matrix(Array2::<usize>::zeros((0, 0)).view(), &[] as &[&str]),
            Err(Error::EmptyInput { .. })
        ));
    }

    #[test]
    fn plots_hold_their_labels_and_counts() {
        let cm = array![[5usize, 1], [2, 7]];
        let svg = confusion_matrix(cm.view(), &["benign", "malignant"]).unwrap();
        for text in ["benign", "malignant", "\n5\n", "\n7\n", "true label"] {
            assert!(svg.as_str().contains(text), "{text} missing");
        }
        let curve = ValidationCurve {
            param_name: "svc__gamma".into(),
            param_values: vec!["0.001".into(), "scale".into()],
            train_scores: array![[0.9, 0.92], [1.0, f64::NAN]],
            test_scores: array![[0.85, 0.87], [0.9, 0.91]],
        };
        let svg = validation_curve(&curve).unwrap();
        assert!(svg.as_str().contains("\nscale\n"));
        assert!(svg.as_str().contains("cross-validation score"));
        let roc = RocCurve {
            fpr: vec![0.0, 0.5, 1.0],
            tpr: vec![0.0, 1.0, 1.0],
            thresholds: vec![f64::INFINITY, 0.5, 0.1],
        };
        assert!(roc_curve(&roc).unwrap().as_str().contains("AUC = 0.750"));
        // One label: one cell.
        let one = confusion_matrix(array![[3usize]].view(), &[1]).unwrap();
        assert_eq!(one.as_str().matches("<rect").count(), 2);
    }
}
