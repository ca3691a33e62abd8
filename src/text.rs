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

/// The people a Markdown text mentions: `@name` (someone here) or `@name@domain`, each
/// once, in order. An `@` inside a word (an e-mail address) or in code is not a mention.
pub fn mentioned_handles(source: &str) -> Vec<(String, Option<String>)> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut found: Vec<(String, Option<String>)> = Vec::new();
    let mut in_code = 0usize;
    for event in Parser::new(source) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code += 1,
            Event::End(TagEnd::CodeBlock) => in_code = in_code.saturating_sub(1),
            Event::Text(text) if in_code == 0 => {
                for handle in handles_in(&text) {
                    if !found.contains(&handle) {
                        found.push(handle);
                    }
                }
            }
            _ => {}
        }
    }
    found
}

fn handles_in(text: &str) -> Vec<(String, Option<String>)> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let is_host = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':');
    let mut handles = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !(is_name(chars[i - 1]) || chars[i - 1] == '@');
        if chars[i] != '@' || !starts_word {
            i += 1;
            continue;
        }
        let name_end = (i + 1..chars.len())
            .find(|&j| !is_name(chars[j]))
            .unwrap_or(chars.len());
        let name: String = chars[i + 1..name_end].iter().collect();
        let mut end = name_end;
        let mut domain = None;
        if name_end < chars.len() && chars[name_end] == '@' {
            let host_end = (name_end + 1..chars.len())
                .find(|&j| !is_host(chars[j]))
                .unwrap_or(chars.len());
            let host: String = chars[name_end + 1..host_end].iter().collect();
            // A sentence may end right after the handle.
            let host = host.trim_end_matches(['.', ':', '-']).to_ascii_lowercase();
            if host.contains('.') || host.contains(':') || host == "localhost" {
                end = name_end + 1 + host.chars().count();
                domain = Some(host);
            }
        }
        if (1..=64).contains(&name.len()) {
            handles.push((name, domain));
        }
        i = end.max(i + 1);
    }
    handles
}

#[cfg(test)]
mod tests {
    #[test]
    fn mentions_are_found_outside_words_and_code() {
        let found = super::mentioned_handles(
            "Thanks @ann and @bob@maps.example: see mail@example.org.\n\n```\n@notme\n```\n\n\
             Also @carl@localhost:8080. And @ann again, `@code` too.",
        );
        let expected: Vec<(String, Option<String>)> = vec![
            ("ann".into(), None),
            ("bob".into(), Some("maps.example".into())),
            ("carl".into(), Some("localhost:8080".into())),
        ];
        assert_eq!(found, expected);
    }

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
