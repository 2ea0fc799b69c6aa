//! HTTP errors: every failure is `{"error":{"code","message"}}` with a 4xx status for what
//! the client got wrong; anything else is logged and answered with a generic 500.

use serde::Serialize;
use warp::filters::cors::CorsForbidden;
use warp::http::StatusCode;
use warp::reject::{MethodNotAllowed, PayloadTooLarge, Reject, Rejection};
use warp::reply::{Reply, Response};

use crate::error::{Error, IndexError, QueryError};

/// An error to send to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
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
    /// A 400 for a bad parameter.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }

    /// A 404.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code,
            message: message.into(),
        }
    }

    /// A 500 whose cause is logged, not shown.
    pub fn internal() -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error; the server log has the details".into(),
        }
    }

    /// A 503 while the index cannot be read.
    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "index_unavailable",
            message: message.into(),
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        ApiError::bad_request(e.code(), e.to_string())
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::Query(q) => q.into(),
            Error::Index(IndexError::UnknownId(id)) => {
                ApiError::not_found("unknown_id", format!("no article with id {id:?}"))
            }
            Error::Index(IndexError::Unavailable(reason)) => {
                tracing::warn!(%reason, "backend unavailable");
                ApiError::unavailable(format!("the index cannot be reached: {reason}"))
            }
            Error::Index(other) => {
                tracing::error!(error = %other, source = ?std::error::Error::source(&other), "request failed");
                ApiError::internal()
            }
        }
    }
}

impl Reply for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
            },
        };
        warp::reply::with_status(warp::reply::json(&body), self.status).into_response()
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
        ApiError {
            status: StatusCode::FORBIDDEN,
            code: "cors_forbidden",
            message: format!("cross-origin request refused: {detail}"),
        }
    } else if rejection.find::<MethodNotAllowed>().is_some() {
        ApiError {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "method_not_allowed",
            message: "this path does not accept that method".into(),
        }
    } else if rejection.find::<PayloadTooLarge>().is_some() {
        ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "payload_too_large",
            message: format!("request body larger than {} bytes", super::MAX_BODY_BYTES),
        }
    } else if rejection.is_not_found() {
        ApiError::not_found(
            "not_found",
            "no such route; see GET / for the search page and /api/search for the API",
        )
    } else if let Some(e) = rejection.find::<warp::reject::InvalidHeader>() {
        ApiError::bad_request("invalid_header", e.to_string())
    } else if let Some(e) = rejection.find::<warp::reject::MissingHeader>() {
        ApiError::bad_request("missing_header", e.to_string())
    } else if rejection.find::<warp::reject::UnsupportedMediaType>().is_some() {
        ApiError {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            message: "send JSON (application/json) or NDJSON (application/x-ndjson)".into(),
        }
    } else if rejection.find::<warp::reject::LengthRequired>().is_some() {
        ApiError {
            status: StatusCode::LENGTH_REQUIRED,
            code: "length_required",
            message: "a Content-Length header is required".into(),
        }
    } else {
        tracing::error!(?rejection, "unhandled rejection");
        ApiError::internal()
    };
    Ok(error.into_response())
}
