//! User text in and out: Markdown rendered to safe HTML, and HTML from peers sanitised.

use ammonia::Builder;
use pulldown_cmark::{Event, Options, Parser, html};
use std::sync::LazyLock;

/// Tags and attributes allowed in any HTML we store or show. Links may only use web and mail
/// schemes, so `javascript:` URLs never survive.
static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::default();
    builder
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("nofollow noopener noreferrer"))
        .add_tags(["span"])
        .add_allowed_classes("span", ["h-card", "invisible", "ellipsis"])
        .add_allowed_classes("a", ["mention", "u-url", "hashtag"]);
    builder
});

/// Cleans HTML that came from elsewhere (a peer's summary or content).
pub fn sanitize_html(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

/// Renders Markdown to sanitised HTML. Raw HTML in the source is shown as text, not passed
/// through.
pub fn markdown_to_html(source: &str) -> String {
    let options =
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS;
    let parser = Parser::new_ext(source, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut rendered = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut rendered, parser);
    sanitize_html(&rendered)
}

/// Strips all markup, for plain-text excerpts.
pub fn html_to_text(html: &str) -> String {
    let stripped = Builder::empty().clean(html).to_string();
    // ammonia leaves entities encoded; decode the few that matter for a plain excerpt.
    stripped
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The first non-empty line of HTML as plain text, leaving out the words in `skip` (such as
/// a mention of the community the text was addressed to).
pub fn first_line(html: &str, skip: &[String]) -> Option<String> {
    let mut broken = html.to_string();
    for end in [
        "</p>", "<br>", "<br/>", "<br />", "</h1>", "</h2>", "</h3>", "</li>",
    ] {
        broken = broken.replace(end, &format!("{end}\n"));
    }
    html_to_text(&broken).lines().find_map(|line| {
        let words: Vec<&str> = line
            .split_whitespace()
            .filter(|word| !skip.iter().any(|s| word.eq_ignore_ascii_case(s)))
            .collect();
        (!words.is_empty()).then(|| words.join(" "))
    })
}

/// A plain-text excerpt of HTML: at most `max` characters, cut at a word with an ellipsis.
pub fn excerpt(html: &str, max: usize) -> String {
    let text = html_to_text(html);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map(|(head, _)| head).unwrap_or(&cut);
    format!("{cut}…")
}

/// Whether any string in a JSON document (keys included) holds a NUL character. PostgreSQL
/// cannot store one in text, so such input is refused at the door instead of failing deep
/// inside a transaction.
pub fn has_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(has_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_raw_html_is_escaped() {
        let html = markdown_to_html("hi <script>alert(1)</script> **there**");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("<strong>there</strong>"), "{html}");
    }

    #[test]
    fn first_line_skips_the_mention() {
        let html = r#"<p><span class="h-card"><a href="https://g.example/c/practice" class="u-url mention">@<span>practice</span></a></span> Hello practitioners</p><p>More</p>"#;
        assert_eq!(
            first_line(html, &["@practice".into()]).as_deref(),
            Some("Hello practitioners")
        );
        assert_eq!(
            first_line("<p>@practice</p><p>Second</p>", &["@practice".into()]).as_deref(),
            Some("Second")
        );
        assert_eq!(first_line("<p>@practice</p>", &["@practice".into()]), None);
    }

    #[test]
    fn excerpts_are_plain_and_short() {
        assert_eq!(
            excerpt("<p>Hello <b>there</b> &amp; welcome</p>", 100),
            "Hello there & welcome"
        );
        assert_eq!(excerpt("<p>one two three four</p>", 10), "one two…");
    }

    #[test]
    fn javascript_links_are_dropped() {
        let html = markdown_to_html("[x](javascript:alert(1))");
        assert!(!html.contains("javascript"), "{html}");
    }

    #[test]
    fn peer_html_is_cleaned_but_mentions_survive() {
        let html = sanitize_html(
            r#"<p onclick="x()"><span class="h-card"><a href="https://a.example/c/x" class="u-url mention">@x</a></span><img src=x onerror=y></p>"#,
        );
        assert!(
            !html.contains("onclick") && !html.contains("onerror"),
            "{html}"
        );
        assert!(html.contains(r#"class="u-url mention""#), "{html}");
    }
}
