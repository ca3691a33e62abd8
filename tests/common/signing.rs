//! Signing requests the way Mastodon does (draft-cavage, `rsa-sha256`, headers
//! `(request-target) host date digest content-type`), to play a peer in tests.

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use reqwest::header::{HeaderMap, HeaderValue};
use rsa::{Pkcs1v15Sign, RsaPrivateKey, pkcs8::DecodePrivateKey};
use sha2::{Digest, Sha256};
use std::time::SystemTime;
use url::Url;

/// What to sign with, and how.
pub struct Signer {
    pub key_id: String,
    pub private_key_pem: String,
    /// The `Date` to sign; now unless a test wants an old or future one.
    pub date: SystemTime,
    /// How the Digest names its algorithm (`SHA-256`, or `sha-256` as some servers write it).
    pub digest_name: &'static str,
    pub algorithm: &'static str,
}

impl Signer {
    pub fn new(key_id: impl Into<String>, private_key_pem: impl Into<String>) -> Self {
        Signer {
            key_id: key_id.into(),
            private_key_pem: private_key_pem.into(),
            date: SystemTime::now(),
            digest_name: "SHA-256",
            algorithm: "rsa-sha256",
        }
    }

    /// The headers of a signed POST of `body` to `url`.
    pub fn post_headers(&self, url: &Url, body: &[u8]) -> HeaderMap {
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        let date = httpdate::fmt_http_date(self.date);
        let digest = format!(
            "{}={}",
            self.digest_name,
            BASE64.encode(Sha256::digest(body))
        );
        let content_type = "application/activity+json";
        let mut target = url.path().to_string();
        if let Some(query) = url.query() {
            target = format!("{target}?{query}");
        }
        let signing_string = format!(
            "(request-target): post {target}\nhost: {host}\ndate: {date}\ndigest: {digest}\ncontent-type: {content_type}"
        );
        let key = RsaPrivateKey::from_pkcs8_pem(&self.private_key_pem).expect("PKCS#8 private key");
        let signature = key
            .sign(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(signing_string.as_bytes()),
            )
            .expect("sign");
        let header = format!(
            "keyId=\"{}\",algorithm=\"{}\",headers=\"(request-target) host date digest content-type\",signature=\"{}\"",
            self.key_id,
            self.algorithm,
            BASE64.encode(signature)
        );
        let mut headers = HeaderMap::new();
        let value = |v: &str| HeaderValue::from_str(v).expect("header value");
        headers.insert("host", value(&host));
        headers.insert("date", value(&date));
        headers.insert("digest", value(&digest));
        headers.insert("content-type", value(content_type));
        headers.insert("signature", value(&header));
        headers
    }
}

impl Signer {
    /// The headers of a signed GET, as Mastodon signs one: `(request-target) host date accept`.
    pub fn get_headers(&self, url: &Url) -> HeaderMap {
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        let date = httpdate::fmt_http_date(self.date);
        let accept = "application/activity+json, application/ld+json";
        let target = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        };
        let signing_string =
            format!("(request-target): get {target}\nhost: {host}\ndate: {date}\naccept: {accept}");
        let key = RsaPrivateKey::from_pkcs8_pem(&self.private_key_pem).expect("PKCS#8 private key");
        let signature = key
            .sign(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(signing_string.as_bytes()),
            )
            .expect("sign");
        let header = format!(
            "keyId=\"{}\",algorithm=\"{}\",headers=\"(request-target) host date accept\",signature=\"{}\"",
            self.key_id,
            self.algorithm,
            BASE64.encode(signature)
        );
        let mut headers = HeaderMap::new();
        let value = |v: &str| HeaderValue::from_str(v).expect("header value");
        headers.insert("host", value(&host));
        headers.insert("date", value(&date));
        headers.insert("accept", value(accept));
        headers.insert("signature", value(&header));
        headers
    }
}

/// POSTs `body` to `url` with the signer's headers; returns the status and the JSON body.
pub async fn signed_post(
    signer: &Signer,
    url: &Url,
    body: &[u8],
) -> (reqwest::StatusCode, serde_json::Value) {
    let response = super::http()
        .post(url.as_str())
        .headers(signer.post_headers(url, body))
        .body(body.to_vec())
        .send()
        .await
        .expect("POST");
    let status = response.status();
    let json = response.json().await.unwrap_or(serde_json::Value::Null);
    (status, json)
}
