//! Property tests (proptest) as a fuzzer for what peers and users send that Guild parses
//! or renders: activity and object JSON, Markdown, and HTML from peers. Properties: nothing
//! panics, and rendered or sanitised HTML never carries live script.
//!
//! `.ci/run` runs the default 256 cases per property; run longer by hand:
//!
//! ```sh
//! PROPTEST_CASES=20000 cargo test --release --test fuzz_parsing
//! ```

use guild::{
    federation::{
        activities::{
            announce::Announce, block::Block, collection::CollectionChange,
            create_or_update::CreateOrUpdate, delete::Delete, flag::Flag, follow::Follow,
            lock::Lock, undo::Undo, vote::Vote,
        },
        objects::{comment::NoteJson, microblog::MicroblogNote, post::PageJson},
    },
    text,
};
use proptest::prelude::*;
use serde_json::Value;

/// Text built from the pieces that make markup dangerous, mixed with anything.
fn hostile_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "<script>",
        "</script>",
        "<img src=x onerror=alert(1)>",
        "javascript:alert(1)",
        "[link](javascript:alert(1))",
        "![i](javascript:x)",
        "<a href=\"javascript:x\">",
        "<iframe src=//evil>",
        "<svg onload=alert(1)>",
        "<style>",
        "&lt;",
        "&#x3C;script&#x3E;",
        "\u{0}",
        "\u{202e}",
        "`",
        "```",
        "\n",
        "> ",
        "* ",
        "<",
        ">",
        "\"",
        "'",
        "&",
        "(",
        ")",
        "[",
        "]",
        "<div style=\"x\">",
        "<p>",
        "</p>",
        "<!--",
        "-->",
        "<![CDATA[",
        "\\",
    ]);
    prop::collection::vec(
        prop_oneof![pieces.prop_map(str::to_string), any::<String>()],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

/// Arbitrary JSON, biased towards the shapes of activities.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|n| serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)),
        hostile_text().prop_map(Value::String),
        prop::sample::select(vec![
            "https://example.org/u/a",
            "http://localhost/x",
            "Page",
            "Note",
            "Create",
            "Announce",
            "Block",
            "Flag",
            "Add",
            "Undo",
            "2026-11-23T10:00:00Z",
            "https://www.w3.org/ns/activitystreams#Public",
            "not a url",
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "id",
                    "type",
                    "actor",
                    "object",
                    "to",
                    "cc",
                    "name",
                    "content",
                    "summary",
                    "source",
                    "attributedTo",
                    "audience",
                    "inReplyTo",
                    "tag",
                    "url",
                    "published",
                    "updated",
                    "sensitive",
                    "mediaType",
                    "href",
                    "target",
                    "expires",
                    "removeData",
                ])
                .prop_map(str::to_string),
                inner,
                0..10,
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Decodes numeric character references (`&#106;`, `&#x6A;`), as a browser would in an
/// attribute.
fn decode_numeric(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find("&#") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 2..];
        let end = tail.find(';').unwrap_or(tail.len());
        let code = &tail[..end];
        let parsed = match code.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => code.parse().ok(),
        };
        match parsed.and_then(char::from_u32) {
            Some(c) => {
                out.push(c);
                rest = tail.get(end + 1..).unwrap_or("");
            }
            None => {
                out.push_str("&#");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The attributes of every tag in `html`, read as a browser would (quotes respected).
fn attributes(html: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let chars: Vec<char> = html.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '<' {
            i += 1;
            continue;
        }
        // Skip the tag name.
        i += 1;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '>' {
            i += 1;
        }
        // Attributes until '>'.
        while i < chars.len() && chars[i] != '>' {
            while i < chars.len() && (chars[i].is_whitespace() || chars[i] == '/') {
                i += 1;
            }
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '=' | '>') {
                i += 1;
            }
            let name: String = chars[start..i]
                .iter()
                .collect::<String>()
                .to_ascii_lowercase();
            let mut value = String::new();
            if i < chars.len() && chars[i] == '=' {
                i += 1;
                if i < chars.len() && (chars[i] == '"' || chars[i] == '\'') {
                    let quote = chars[i];
                    i += 1;
                    while i < chars.len() && chars[i] != quote {
                        value.push(chars[i]);
                        i += 1;
                    }
                    i += 1;
                } else {
                    while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '>' {
                        value.push(chars[i]);
                        i += 1;
                    }
                }
            }
            if !name.is_empty() {
                found.push((name, decode_numeric(&value.replace("&amp;", "&"))));
            }
        }
        i += 1;
    }
    found
}

/// What would run script in a browser: a `<script>` tag, an event handler attribute, or a
/// `javascript:` URL in a link or source.
fn runs_script(html: &str) -> Option<String> {
    if html.to_ascii_lowercase().contains("<script") {
        return Some("a script tag".into());
    }
    attributes(html).into_iter().find_map(|(name, value)| {
        let url = value.trim().to_ascii_lowercase();
        if name.starts_with("on") {
            Some(format!("handler {name}"))
        } else if matches!(
            name.as_str(),
            "href" | "src" | "action" | "formaction" | "xlink:href"
        ) && url
            .replace(['\t', '\n', '\r'], "")
            .starts_with("javascript:")
        {
            Some(format!("{name}={value}"))
        } else {
            None
        }
    })
}

proptest! {
    #[test]
    fn markdown_renders_without_live_script(source in hostile_text()) {
        let html = text::markdown_to_html(&source);
        prop_assert_eq!(runs_script(&html), None, "{}", html);
    }

    #[test]
    fn peer_html_is_sanitised(html in hostile_text()) {
        let clean = text::sanitize_html(&html);
        prop_assert_eq!(runs_script(&clean), None, "{}", clean);
        prop_assert!(!clean.to_ascii_lowercase().contains("<iframe"), "{}", clean);
        // The helpers built on it never panic either.
        let _ = text::html_to_text(&clean);
        let _ = text::excerpt(&clean, 50);
        let _ = text::first_line(&clean, &[]);
    }

    #[test]
    fn objects_parse_or_fail_cleanly(value in json_value()) {
        let _ = serde_json::from_value::<PageJson>(value.clone());
        let _ = serde_json::from_value::<NoteJson>(value.clone());
        let _ = serde_json::from_value::<MicroblogNote>(value.clone());
        parse_every_activity(&value);
        let _ = text::has_nul(&value);
    }

    #[test]
    fn bytes_parse_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..2_000)) {
        let _ = serde_json::from_slice::<PageJson>(&bytes);
        let _ = serde_json::from_slice::<NoteJson>(&bytes);
        if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
            parse_every_activity(&value);
        }
    }
}

/// Every activity type the inbox dispatches to, as `activities::dispatch` parses them.
fn parse_every_activity(value: &Value) {
    let _ = serde_json::from_value::<Follow>(value.clone());
    let _ = serde_json::from_value::<CreateOrUpdate>(value.clone());
    let _ = serde_json::from_value::<Delete>(value.clone());
    let _ = serde_json::from_value::<Lock>(value.clone());
    let _ = serde_json::from_value::<CollectionChange>(value.clone());
    let _ = serde_json::from_value::<Block>(value.clone());
    let _ = serde_json::from_value::<Flag>(value.clone());
    let _ = serde_json::from_value::<Vote>(value.clone());
    let _ = serde_json::from_value::<Undo>(value.clone());
    let _ = serde_json::from_value::<Announce>(value.clone());
}

#[test]
fn the_detector_sees_script() {
    // The property checks are only as good as this detector: it must catch the real thing.
    for html in [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"&#106;avascript:alert(1)\">x</a>",
        "<a href=' JaVaScRiPt:alert(1)'>x</a>",
        "<svg onload=alert(1)>",
    ] {
        assert!(runs_script(html).is_some(), "missed {html}");
    }
    for html in [
        "<p>javascript: is a word</p>",
        "<img alt=\"onerror=x javascript:y\" src=\"https://e.org/a.png\">",
        "<p>&lt;script&gt;</p>",
    ] {
        assert_eq!(runs_script(html), None, "false alarm on {html}");
    }
}
