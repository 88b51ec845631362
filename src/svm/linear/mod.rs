//! Linear support vector machines at liblinear scale: [`LinearSvc`]
//! (classification) and [`LinearSvr`] (regression), scikit-learn's
//! `LinearSVC` / `LinearSVR`.
//!
//! The models are `f(x) = wᵀx + b` with no kernel: fitting is linear in the
//! number of samples and features, so they handle data far beyond the
//! kernel SVMs' reach. The L2-regularised losses are solved in the dual by
//! coordinate descent with shrinking (`dual_cd`) or, for the squared hinge,
//! in the primal by a trust-region Newton method (`tron`); the
//! L1-regularised squared hinge in the primal by coordinate descent
//! (`primal_l1`); Crammer and Singer's joint multiclass problem by the
//! sequential dual method (`crammer_singer`).
//!
//! **The intercept is regularised.** As in liblinear (and so scikit-learn),
//! a fitted intercept is the weight of an extra feature of constant value
//! `intercept_scaling`, penalised like every other weight: the intercept is
//! `intercept_scaling × w_bias`. A larger `intercept_scaling` weakens its
//! penalty.

mod crammer_singer;
mod design;
mod dual_cd;
mod persist;
mod primal_l1;
mod svc;
mod svr;
mod tron;

pub use svc::{
    FittedLinearSvc, LinearSvc, LinearSvcLoss, LinearSvcMultiClass, LinearSvcSolver,
    LinearSvmPenalty,
};
pub use svr::{FittedLinearSvr, LinearSvr, LinearSvrLoss};
