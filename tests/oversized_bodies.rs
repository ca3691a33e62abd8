//! A body a little over a door's limit is refused in a way its sender reads: the server
//! reads it through before answering (`body_limit`), so a client that sends all of its
//! body before reading the answer, as HTTP clients do, gets the refusal rather than a
//! reset connection. Each body here goes slowly, after the headers, so that a server that
//! answered at the headers would have closed the connection long before the body ends.

mod common;

use common::TestInstance;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// POSTs `length` bytes of spaces to `path`, in 64 KiB pieces, 300 ms after the headers;
/// returns the answer's head and body as text. Fails if the server stops reading first.
async fn post_slowly(a: &TestInstance, path: &str, content_type: &str, length: usize) -> String {
    let port = a.base.port().expect("a port");
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n",
        a.domain
    );
    stream.write_all(head.as_bytes()).await.expect("headers");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let piece = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while sent < length {
        let n = piece.len().min(length - sent);
        if let Err(e) = stream.write_all(&piece[..n]).await {
            panic!("{path}: the server stopped reading after {sent} of {length} bytes: {e}");
        }
        sent += n;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut answer = Vec::new();
    if let Err(e) = stream.read_to_end(&mut answer).await {
        panic!("{path}: reading the answer: {e}");
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_door_answers_a_body_a_little_too_large() {
    let a = TestInstance::start().await;
    // Each door: its path, content type, a body a little over its limit, and the status
    // and the text its refusal must carry.
    let doors = [
        (
            "/inbox",
            "application/activity+json",
            guild::federation::MAX_INBOX_BODY + 256 * 1024,
            "HTTP/1.1 413",
            "\"error\"",
        ),
        (
            "/api/v3/user/register",
            "application/json",
            2 * 1024 * 1024 + 256 * 1024,
            "HTTP/1.1 413",
            "\"invalid_input\"",
        ),
        (
            "/login",
            "application/x-www-form-urlencoded",
            256 * 1024 + 64 * 1024,
            "HTTP/1.1 400",
            "The form is too large.",
        ),
    ];
    for (path, content_type, length, status, says) in doors {
        let answer = post_slowly(&a, path, content_type, length).await;
        assert!(answer.starts_with(status), "{path}: {answer}");
        assert!(answer.contains(says), "{path}: {answer}");
    }

    assert_eq!(a.count_rows("people").await, 0);
    a.stop().await;
}
