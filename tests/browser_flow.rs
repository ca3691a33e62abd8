//! A real browser, Debian's `chromium` (headless, driven by `tests/browser/flow.mjs` through
//! puppeteer-core), uses two Guild instances as a person would: sign up, create a
//! community, post, comment, vote, reply, find a community on the second instance, join it
//! and see its post. Screenshots of the home, community and post pages (and the post on a
//! phone in dark mode) go to `target/screenshots/`. Ignored by `cargo test`: it needs
//! chromium and Node; `.ci/run` installs both and runs it:
//!
//! ```sh
//! apt-get install chromium && (cd tests/browser && npm ci)
//! cargo test --test browser_flow -- --ignored --nocapture
//! ```

mod common;

use common::{eventually, run_node_script, start_instances};
use guild::service::posts::{PostInput, create_post};
use std::{path::Path, time::Duration};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium, Node 20+ and `npm ci` in tests/browser"]
async fn a_person_uses_guild_in_a_real_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tests/browser/node_modules/puppeteer-core")
            .is_dir(),
        "puppeteer-core is not installed: run `npm ci` in tests/browser"
    );
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("b");
    let a = instances.pop().expect("a");
    let chidi = b.create_user("chidi").await;
    let maps = b
        .create_community("maps", "Mapping & GIS", Some(&chidi))
        .await;
    let title = "Projections for a classroom poster";
    create_post(
        &b.data,
        &chidi,
        &maps,
        PostInput {
            title: title.into(),
            body: Some("Equal Earth keeps areas honest.".into()),
            ..PostInput::default()
        },
    )
    .await
    .expect("post on b");

    let screenshots = root.join("target/screenshots");
    let _ = std::fs::remove_dir_all(&screenshots);
    run_node_script(
        "tests/browser/flow.mjs",
        &[
            ("GUILD_A", a.base.as_str().trim_end_matches('/').to_string()),
            ("GUILD_B", b.base.as_str().trim_end_matches('/').to_string()),
            ("REMOTE_COMMUNITY", format!("maps@{}", b.domain)),
            ("REMOTE_POST_TITLE", title.to_string()),
            ("SCREENSHOTS", screenshots.display().to_string()),
        ],
        Duration::from_secs(180),
    )
    .await;
    for name in ["home", "community", "post", "post-phone-dark"] {
        let path = screenshots.join(format!("{name}.png"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 5_000,
            "{name}.png is an image"
        );
    }
    // What the browser did crossed to B: Ada follows B's community.
    eventually("B to count Ada as a follower", || {
        let b = &b;
        let id = maps.id;
        async move {
            let mut conn = b.conn().await;
            (guild::db::communities::follower_count(&mut conn, id)
                .await
                .ok()?
                == 1)
                .then_some(())
        }
    })
    .await;
    a.stop().await;
    b.stop().await;
}
