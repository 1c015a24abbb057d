//! X-Ray's error shape: the status, the `x-amzn-ErrorType` header botocore and the AWS SDKs read
//! the error code from, and a `{"message": "..."}` body.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::model::ErrorBody;
use crate::store::StoreError;

/// The header that carries the error code.
pub const ERROR_TYPE_HEADER: &str = "x-amzn-ErrorType";

/// An API call that failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed, misses a parameter, breaks a limit, or has a bad filter
    /// expression: 400 `InvalidRequestException`.
    #[error("{0}")]
    InvalidRequest(String),
    /// The request body is over the size limit: 413 `InvalidRequestException`.
    #[error("{0}")]
    TooLarge(String),
    /// The store failed: 500 `InternalFailure`.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The blocking task running the store call was lost (the runtime is shutting down):
    /// 500 `InternalFailure`.
    #[error("the store task did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl ApiError {
    /// The HTTP status and the `x-amzn-ErrorType` code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "InvalidRequestException"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "InvalidRequestException"),
            ApiError::Store(_) | ApiError::Task(_) => (StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "An X-Ray API call failed in the store.");
        }
        let mut response = (
            status,
            Json(ErrorBody {
                message: self.to_string(),
            }),
        )
            .into_response();
        response
            .headers_mut()
            .insert(ERROR_TYPE_HEADER, HeaderValue::from_static(code));
        response
    }
}
