//! Refusing a request body over a size limit in a way its sender can read.
//!
//! A refusal made from the `Content-Length` alone leaves the body unread, and hyper then
//! closes the connection under a sender that may still be writing it: the sender's TCP
//! stack takes the reset and can drop the answer unread, so the sender sees a broken pipe
//! instead of the 413 that says why. A body a little over the limit (up to twice it) is
//! therefore read to its end and dropped before the refusal; past that, the sender gets
//! the reset, and the server reads no more than twice its limit for any request.

use axum::body::Body;
use futures::StreamExt;

/// A body declared larger than the limit it was read against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

/// The body back when its declared length is within `limit`, or not declared (then the
/// reader's own cap applies); otherwise `TooLarge`, once a body of at most twice `limit`
/// has been read through.
pub async fn within(headers: &http::HeaderMap, body: Body, limit: usize) -> Result<Body, TooLarge> {
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    match declared {
        Some(length) if length > limit as u64 => {
            if length <= 2 * limit as u64 {
                let mut chunks = body.into_data_stream();
                while let Some(Ok(_)) = chunks.next().await {}
            }
            Err(TooLarge)
        }
        _ => Ok(body),
    }
}
