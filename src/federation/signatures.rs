//! Checking the HTTP signatures (draft-cavage) of requests other servers send us.
//!
//! The federation library verifies signatures for actix-web only and without Mastodon's
//! date window, so Guild applies its own rules here, on top of the signature crate the
//! library uses for parsing and for the signing string:
//! - algorithm `rsa-sha256` or `hs2019` (or none, meaning hs2019), in any letter case;
//! - `(request-target)` and `date` signed, and `digest` on POST;
//! - `Date` at most about an hour in the future and at most 65 minutes in the past;
//! - the path is tried with and without its query string;
//! - `Digest` must hold a SHA-256 of the body; the algorithm name's case does not matter.

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use http::{HeaderMap, Method, Uri};
use http_signature_normalization::{
    Config, PrepareVerifyError,
    verify::{Algorithm, DeprecatedAlgorithm, Unverified, ValidateError},
};
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use rsa::{
    Pkcs1v15Sign, RsaPublicKey, pkcs1::DecodeRsaPublicKey, pkcs8::DecodePublicKey,
    traits::PublicKeyParts,
};
use sha2::{Digest, Sha256};
use std::{
    collections::BTreeMap,
    time::{Duration, SystemTime},
};

/// How far in the past a signature's date may be: Mastodon's five minutes of validity plus
/// its hour of tolerance for clock skew and slow queues.
const MAX_AGE: Duration = Duration::from_secs(65 * 60);
/// How far in the future a signature's date may be.
const MAX_FUTURE: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the request has no HTTP signature")]
    Missing,
    #[error("the HTTP signature header is malformed: {0}")]
    Malformed(String),
    #[error("the HTTP signature must cover {0}")]
    Uncovered(String),
    #[error("the HTTP signature uses the unsupported algorithm {0}")]
    Algorithm(String),
    #[error("the HTTP signature has expired (check the Date header and the clock)")]
    Expired,
    #[error("the Date of the HTTP signature is too far in the future")]
    FromTheFuture,
    #[error("the HTTP signature does not match the key of {0}")]
    Mismatch(String),
    #[error("the key of {0} is not a usable RSA public key")]
    BadKey(String),
    #[error("the Digest header is missing or has no SHA-256 value")]
    NoDigest,
    #[error("the Digest header does not match the body")]
    DigestMismatch,
}

/// A request whose signature header has been parsed and whose dates and covered headers
/// are acceptable; what remains is to check it against the signer's key.
#[derive(Debug)]
pub struct PendingSignature {
    key_id: String,
    /// The signing string built with the full path and query, then with the path alone.
    candidates: Vec<Unverified>,
}

impl PendingSignature {
    /// The `keyId` the signer named.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Checks the signature against the signer's public key (PEM, SPKI or PKCS#1).
    pub fn verify(&self, public_key_pem: &str) -> Result<(), SignatureError> {
        let key = RsaPublicKey::from_public_key_pem(public_key_pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(public_key_pem))
            .map_err(|_| SignatureError::BadKey(self.key_id.clone()))?;
        // ring is far faster than the pure-Rust `rsa` crate, whose verification took a fifth
        // of the inbox's CPU time (docs/performance.md, item 12), but refuses keys under
        // 2,048 bits, which a few small servers still use: those keep the slow path.
        let fast_key = (key.size() * 8 >= 2048).then(|| RsaPublicKeyComponents {
            n: key.n().to_bytes_be(),
            e: key.e().to_bytes_be(),
        });
        let matches = |unverified: &Unverified| {
            unverified.verify(|signature, signing_string| {
                let Ok(signature) = BASE64.decode(signature) else {
                    return false;
                };
                match &fast_key {
                    Some(fast_key) => fast_key
                        .verify(
                            &RSA_PKCS1_2048_8192_SHA256,
                            signing_string.as_bytes(),
                            &signature,
                        )
                        .is_ok(),
                    None => {
                        let hashed = Sha256::digest(signing_string.as_bytes());
                        key.verify(Pkcs1v15Sign::new::<Sha256>(), &hashed, &signature)
                            .is_ok()
                    }
                }
            })
        };
        if self.candidates.iter().any(matches) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch(self.key_id.clone()))
        }
    }
}

/// Parses the `Signature` header of a request and applies the rules above, except the
/// cryptographic check itself, which needs the signer's key (see [`PendingSignature`]).
pub fn check_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<PendingSignature, SignatureError> {
    let mut header_map: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let Ok(value) = value.to_str() else { continue };
        header_map
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(value);
            })
            .or_insert_with(|| value.to_owned());
    }
    // Only the Signature header counts; an Authorization header belongs to the client API.
    header_map.remove("authorization");
    if !header_map.contains_key("signature") {
        return Err(SignatureError::Missing);
    }
    check_date(header_map.get("date"))?;

    let mut config = Config::new()
        .set_expiration(MAX_AGE)
        .require_header("(request-target)")
        .require_header("date");
    if method == Method::POST {
        config = config.require_header("digest");
    }
    let full_target = uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
    let mut targets = vec![full_target];
    if uri.query().is_some() {
        targets.push(uri.path());
    }
    let mut candidates = Vec::with_capacity(targets.len());
    for target in targets {
        let unverified = config
            .begin_verify(method.as_str(), target, header_map.clone())
            .map_err(prepare_error)?;
        check_algorithm(unverified.algorithm())?;
        candidates.push(unverified);
    }
    let key_id = candidates[0].key_id().to_owned();
    Ok(PendingSignature { key_id, candidates })
}

/// The headers of a signed POST of `body` to `inbox`, as Mastodon signs them:
/// `(request-target) host date digest content-type`, RSA-SHA256.
pub fn sign_post(
    inbox: &url::Url,
    body: &[u8],
    key_id: &str,
    key: &rsa::RsaPrivateKey,
) -> Result<HeaderMap, SignatureError> {
    let host = match inbox.port() {
        Some(port) => format!("{}:{port}", inbox.host_str().unwrap_or_default()),
        None => inbox.host_str().unwrap_or_default().to_string(),
    };
    let target = match inbox.query() {
        Some(query) => format!("{}?{query}", inbox.path()),
        None => inbox.path().to_string(),
    };
    let date = httpdate::fmt_http_date(SystemTime::now());
    let digest = format!("SHA-256={}", BASE64.encode(Sha256::digest(body)));
    let content_type = super::ACTIVITY_JSON;
    let signing_string = format!(
        "(request-target): post {target}\nhost: {host}\ndate: {date}\ndigest: {digest}\ncontent-type: {content_type}"
    );
    let signature = key
        .sign(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(signing_string.as_bytes()),
        )
        .map_err(|e| SignatureError::Malformed(format!("signing failed: {e}")))?;
    let header = format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest content-type\",signature=\"{}\"",
        BASE64.encode(signature)
    );
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("host", host.as_str()),
        ("date", date.as_str()),
        ("digest", digest.as_str()),
        ("content-type", content_type),
        ("signature", header.as_str()),
    ] {
        let value = http::HeaderValue::from_str(value)
            .map_err(|_| SignatureError::Malformed(format!("unusable {name} header")))?;
        headers.insert(name, value);
    }
    Ok(headers)
}

/// Checks the `Digest` header against the body.
pub fn verify_digest(headers: &HeaderMap, body: &[u8]) -> Result<(), SignatureError> {
    let header = headers
        .get("digest")
        .and_then(|v| v.to_str().ok())
        .ok_or(SignatureError::NoDigest)?;
    let expected = header
        .split(',')
        .filter_map(|part| part.trim().split_once('='))
        .find(|(algorithm, _)| algorithm.trim().eq_ignore_ascii_case("sha-256"))
        .map(|(_, value)| value.trim())
        .ok_or(SignatureError::NoDigest)?;
    if BASE64.encode(Sha256::digest(body)) == expected {
        Ok(())
    } else {
        Err(SignatureError::DigestMismatch)
    }
}

fn check_date(date: Option<&String>) -> Result<(), SignatureError> {
    let Some(date) = date else {
        return Err(SignatureError::Uncovered("date".into()));
    };
    let date = httpdate::parse_http_date(date)
        .map_err(|_| SignatureError::Malformed(format!("unreadable Date {date:?}")))?;
    let now = SystemTime::now();
    if date > now + MAX_FUTURE {
        return Err(SignatureError::FromTheFuture);
    }
    if date + MAX_AGE < now {
        return Err(SignatureError::Expired);
    }
    Ok(())
}

fn check_algorithm(algorithm: Option<&Algorithm>) -> Result<(), SignatureError> {
    match algorithm {
        None
        | Some(Algorithm::Hs2019)
        | Some(Algorithm::Deprecated(DeprecatedAlgorithm::RsaSha256)) => Ok(()),
        Some(Algorithm::Unknown(name))
            if name.eq_ignore_ascii_case("rsa-sha256") || name.eq_ignore_ascii_case("hs2019") =>
        {
            Ok(())
        }
        Some(other) => Err(SignatureError::Algorithm(format!("{other}"))),
    }
}

fn prepare_error(err: PrepareVerifyError) -> SignatureError {
    match err {
        PrepareVerifyError::Validate(ValidateError::Missing) => SignatureError::Missing,
        PrepareVerifyError::Validate(ValidateError::Expired { .. }) => SignatureError::Expired,
        PrepareVerifyError::Parse(e) => {
            SignatureError::Malformed(format!("no {}", e.missing_field()))
        }
        PrepareVerifyError::Required(e) => {
            let mut missing: Vec<_> = e.headers().iter().cloned().collect();
            missing.sort();
            SignatureError::Uncovered(missing.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_algorithm_name_is_case_insensitive() {
        let body = b"{}";
        let value = BASE64.encode(Sha256::digest(body));
        for name in ["SHA-256", "sha-256", "Sha-256"] {
            let mut headers = HeaderMap::new();
            headers.insert("digest", format!("{name}={value}").parse().unwrap());
            assert_eq!(verify_digest(&headers, body), Ok(()), "{name}");
        }
        let mut headers = HeaderMap::new();
        headers.insert("digest", format!("SHA-256={value}").parse().unwrap());
        assert_eq!(
            verify_digest(&headers, b"[]"),
            Err(SignatureError::DigestMismatch)
        );
        headers.insert("digest", format!("SHA-512={value}").parse().unwrap());
        assert_eq!(verify_digest(&headers, body), Err(SignatureError::NoDigest));
    }

    #[test]
    fn date_window_is_about_an_hour_each_way() {
        let at = |offset: i64| {
            let time = if offset >= 0 {
                SystemTime::now() + Duration::from_secs(offset as u64)
            } else {
                SystemTime::now() - Duration::from_secs(offset.unsigned_abs())
            };
            httpdate::fmt_http_date(time)
        };
        assert_eq!(check_date(Some(&at(0))), Ok(()));
        assert_eq!(check_date(Some(&at(-60 * 60))), Ok(()));
        assert_eq!(check_date(Some(&at(50 * 60))), Ok(()));
        assert_eq!(
            check_date(Some(&at(-2 * 60 * 60))),
            Err(SignatureError::Expired)
        );
        assert_eq!(
            check_date(Some(&at(2 * 60 * 60))),
            Err(SignatureError::FromTheFuture)
        );
    }

    #[test]
    fn algorithms() {
        assert!(check_algorithm(None).is_ok());
        assert!(check_algorithm(Some(&Algorithm::from("hs2019"))).is_ok());
        assert!(check_algorithm(Some(&Algorithm::from("rsa-sha256"))).is_ok());
        assert!(check_algorithm(Some(&Algorithm::from("RSA-SHA256"))).is_ok());
        assert!(check_algorithm(Some(&Algorithm::from("rsa-sha1"))).is_err());
        assert!(check_algorithm(Some(&Algorithm::from("hmac-sha256"))).is_err());
    }

    /// Keys of 2,048 bits and more go through ring, smaller ones through `rsa`: both must
    /// accept a good signature and refuse one made by another key or over another request.
    #[test]
    fn signatures_verify_with_large_and_small_keys() {
        use rsa::pkcs8::{EncodePublicKey, LineEnding};
        let inbox = url::Url::parse("https://guild.example/c/writing/inbox").unwrap();
        let uri: Uri = "/c/writing/inbox".parse().unwrap();
        let body = br#"{"type":"Like"}"#;
        let mut rng = rand::thread_rng();
        for bits in [2048, 1024] {
            let key = rsa::RsaPrivateKey::new(&mut rng, bits).unwrap();
            let other = rsa::RsaPrivateKey::new(&mut rng, bits).unwrap();
            let pem = |key: &rsa::RsaPrivateKey| {
                key.to_public_key()
                    .to_public_key_pem(LineEnding::LF)
                    .unwrap()
            };
            let headers = sign_post(&inbox, body, "https://peer.example/u/ann#key", &key).unwrap();
            let pending = check_request(&Method::POST, &uri, &headers).unwrap();
            assert_eq!(pending.verify(&pem(&key)), Ok(()), "{bits} bits");
            assert!(
                matches!(
                    pending.verify(&pem(&other)),
                    Err(SignatureError::Mismatch(_))
                ),
                "{bits} bits, another key"
            );
            let elsewhere: Uri = "/c/mapping/inbox".parse().unwrap();
            let pending = check_request(&Method::POST, &elsewhere, &headers).unwrap();
            assert!(
                pending.verify(&pem(&key)).is_err(),
                "{bits} bits, another request"
            );
        }
    }
}
