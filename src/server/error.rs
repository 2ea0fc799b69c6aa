//! HTTP errors: every failure is `{"error":{"code","message"}}` with a 4xx status for what
//! the client got wrong; anything else is logged and answered with a generic 500.

use serde::Serialize;
use warp::filters::cors::CorsForbidden;
use warp::http::StatusCode;
use warp::reject::{MethodNotAllowed, PayloadTooLarge, Reject, Rejection};
use warp::reply::{Reply, Response};

use crate::error::{Code, ErrorCode, Kind};

/// An error to send to the client: a code from the table ([`Code`]), which gives the
/// status, and a message.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Stable machine-readable code; it decides the HTTP status.
    pub code: Code,
    /// One line a person can act on.
    pub message: String,
}

impl Reject for ApiError {}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// An answer with `code` (and so its status) and `message`.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status the table gives the code.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// A 500 whose cause is logged, not shown.
    pub fn internal() -> Self {
        ApiError::new(Code::Internal, "internal error; the server log has the details")
    }

    /// A 503 while the index cannot be read.
    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError::new(Code::IndexUnavailable, message)
    }
}

impl<E: ErrorCode> From<E> for ApiError {
    /// The error's own code and message; an internal one is logged and answered without
    /// detail.
    fn from(e: E) -> Self {
        let code = e.code();
        match code.kind() {
            Kind::Internal => {
                tracing::error!(error = %e, source = ?e.source(), "request failed");
                ApiError::internal()
            }
            Kind::Unavailable => {
                tracing::warn!(error = %e, "index unavailable");
                ApiError::new(code, e.to_string())
            }
            _ => ApiError::new(code, e.to_string()),
        }
    }
}

impl Reply for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner {
                code: self.code.name(),
                message: &self.message,
            },
        };
        warp::reply::with_status(warp::reply::json(&body), self.status()).into_response()
    }
}

/// Turns any rejection into a JSON error reply.
pub async fn recover(rejection: Rejection) -> Result<Response, std::convert::Infallible> {
    let error = if let Some(e) = rejection.find::<ApiError>() {
        e.clone()
    } else if let Some(e) = rejection.find::<CorsForbidden>() {
        // warp says "CORS request forbidden: origin not allowed" (or method, or header).
        let shown = e.to_string();
        let detail = shown.split_once(": ").map_or(shown.as_str(), |(_, detail)| detail);
        ApiError::new(Code::CorsForbidden, format!("cross-origin request refused: {detail}"))
    } else if rejection.find::<MethodNotAllowed>().is_some() {
        ApiError::new(Code::MethodNotAllowed, "this path does not accept that method")
    } else if rejection.find::<PayloadTooLarge>().is_some() {
        ApiError::new(
            Code::PayloadTooLarge,
            format!("request body larger than {} bytes", super::MAX_BODY_BYTES),
        )
    } else if rejection.is_not_found() {
        ApiError::new(
            Code::NotFound,
            "no such route; see GET / for the search page and /api/search for the API",
        )
    } else if let Some(e) = rejection.find::<warp::reject::InvalidHeader>() {
        ApiError::new(Code::InvalidHeader, e.to_string())
    } else if let Some(e) = rejection.find::<warp::reject::MissingHeader>() {
        ApiError::new(Code::MissingHeader, e.to_string())
    } else if rejection.find::<warp::reject::UnsupportedMediaType>().is_some() {
        ApiError::new(
            Code::UnsupportedMediaType,
            "send JSON (application/json) or NDJSON (application/x-ndjson)",
        )
    } else if rejection.find::<warp::reject::LengthRequired>().is_some() {
        ApiError::new(Code::LengthRequired, "a Content-Length header is required")
    } else {
        tracing::error!(?rejection, "unhandled rejection");
        ApiError::internal()
    };
    Ok(error.into_response())
}
