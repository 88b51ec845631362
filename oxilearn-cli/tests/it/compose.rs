//! Models of every role reach the server through the library's registry
//! (`oxilearn::compose::load_any`): pipelines ending in a classifier or a
//! regressor, and pipelines of transformers only, are served like single
//! models, and their answers equal the library's on the same rows.

use oxilearn::compose::Pipeline;
use oxilearn::ndarray::Array2;
use oxilearn::prelude::*;
use serde_json::json;

use crate::common::*;

fn scaled_svc() -> oxilearn::compose::FittedPipeline<i64> {
    let (x, y) = iris();
    Pipeline::<i64>::new()
        .transform("scale", MinMaxScaler::new())
        .estimator("svc", Svc::new().c(10.0))
        .fit(&x, y.view())
        .unwrap()
}

fn scaled_ridge() -> oxilearn::compose::FittedPipeline<f64> {
    let (x, y) = diabetes();
    Pipeline::<f64>::new()
        .transform("scale", StandardScaler::new())
        .estimator("ridge", Ridge::new().alpha(0.5))
        .fit(&x, y.view())
        .unwrap()
}

fn scalers() -> oxilearn::compose::FittedPipeline<f64> {
    let (x, _) = diabetes();
    Pipeline::<f64>::new()
        .transform("standard", StandardScaler::new())
        .transform("minmax", MinMaxScaler::new())
        .fit(&x, None)
        .unwrap()
}

#[test]
fn pipelines_are_served_with_their_final_steps_outputs() {
    let dir = TempDir::new("compose");
    put(dir.path(), "svc-pipe", 1, &scaled_svc());
    put(dir.path(), "ridge-pipe", 1, &scaled_ridge());
    put(dir.path(), "scalers", 1, &scalers());
    let s = TestServer::on(dir.path());

    // classifier pipeline: metadata from the file, outputs of the final SVC
    let meta = s.get("/v2/models/svc-pipe").json();
    assert_eq!(
        meta["inputs"],
        json!([{"name": "input", "datatype": "FP64", "shape": [-1, 4]}])
    );
    let names: Vec<&str> = meta["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["predict", "decision_function"]);
    let (x, _) = iris();
    let n = 20;
    let rows_x = rows(&x, n);
    let body = infer_body(&[n, 4], &rows_x, &["predict", "decision_function"]);
    let r = s.post_json("/v2/models/svc-pipe/infer", &body);
    assert_eq!(r.status, 200, "{}", r.text());
    let r = r.json();
    let xs = Array2::from_shape_vec((n, 4), rows_x.clone()).unwrap();
    let pipe = scaled_svc();
    let want: Vec<i64> = pipe.predict(&xs).unwrap().to_vec();
    let got: Vec<i64> = output(&r, "predict")["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(got, want);
    let dec = pipe.decision_function(&xs).unwrap();
    assert_eq!(
        output(&r, "decision_function")["shape"],
        json!([n, dec.ncols()])
    );
    assert_eq!(
        output_f64(&r, "decision_function"),
        dec.iter().copied().collect::<Vec<_>>()
    );
    // no probabilities: the SVC was fitted without them
    let r = s.post_json(
        "/v2/models/svc-pipe/infer",
        &infer_body(&[1, 4], &rows_x[..4], &["predict_proba"]),
    );
    assert_eq!(r.status, 400);
    assert!(r.error().contains("predict_proba"), "{}", r.error());

    // regressor pipeline
    let (xd, _) = diabetes();
    let rows_d = rows(&xd, 7);
    let r = s.post_json(
        "/v2/models/ridge-pipe/infer",
        &infer_body(&[7, 10], &rows_d, &[]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let xs = Array2::from_shape_vec((7, 10), rows_d.clone()).unwrap();
    let want = scaled_ridge().predict(&xs).unwrap();
    assert_eq!(output_f64(&r.json(), "predict"), want.to_vec());

    // transformers only: the one output is `transform`
    let meta = s.get("/v2/models/scalers").json();
    assert_eq!(
        meta["outputs"],
        json!([{"name": "transform", "datatype": "FP64", "shape": [-1, 10]}])
    );
    let r = s.post_json(
        "/v2/models/scalers/infer",
        &infer_body(&[7, 10], &rows_d, &[]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let want = scalers().transform(&xs).unwrap();
    assert_eq!(
        output_f64(&r.json(), "transform"),
        want.iter().copied().collect::<Vec<_>>()
    );

    // a pipeline's wrong width is the client's mistake
    let r = s.post_json(
        "/v2/models/ridge-pipe/infer",
        &infer_body(&[1, 4], &rows_x[..4], &[]),
    );
    assert_eq!(r.status, 422, "{}", r.text());
}
