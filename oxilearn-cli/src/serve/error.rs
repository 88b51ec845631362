//! The error every endpoint answers with: an HTTP status and a JSON body
//! `{"error": "…"}`, as the Open Inference Protocol prescribes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An HTTP error answer: status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The status (400 malformed request, 404 unknown model or version, 413
    /// too large, 422 data the model refuses, 503 overloaded or not ready …).
    pub status: StatusCode,
    /// What went wrong and, where possible, what to change.
    pub message: String,
}

impl ApiError {
    /// An error with `status`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// 400: malformed request (bad JSON, wrong datatype, inconsistent shape).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404: unknown model, version or route.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 413: body or row count above the configured limit.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, message)
    }

    /// 422: well-formed request the model refuses (feature count, NaN …).
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// 503: the model version is not ready, or the server is overloaded.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }

    /// 500: a failure of the server itself.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// The JSON body.
    pub fn body(&self) -> String {
        serde_json::json!({ "error": self.message }).to_string()
    }

    /// Maps a library error raised by a model on request data: bad data is
    /// the client's (422), anything else the server's (500).
    pub fn from_model(e: &oxilearn::Error) -> Self {
        use oxilearn::Error as E;
        match e {
            E::ShapeMismatch { .. }
            | E::NonFinite { .. }
            | E::EmptyInput { .. }
            | E::InvalidParameter { .. }
            | E::ColumnType { .. }
            | E::MissingValue { .. }
            | E::UnknownCategory { .. } => Self::unprocessable(e.to_string()),
            _ => Self::internal(format!("model failed: {e}")),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, self.body()).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r
    }
}
