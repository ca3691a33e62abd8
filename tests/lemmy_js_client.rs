//! Lemmy's own JavaScript client library, `lemmy-js-client` 0.19 from npm, drives two Guild
//! instances (`tests/lemmy-js/check.mjs`): register, login, create a community, post,
//! comment, vote, list posts sorted Hot, resolve the community from the second instance,
//! follow it, and see a new post arrive there. Ignored by `cargo test` because it needs Node
//! 20+ and the package; `.ci/run` runs it:
//!
//! ```sh
//! (cd tests/lemmy-js && npm ci)
//! cargo test --test lemmy_js_client -- --ignored --nocapture
//! ```

mod common;

use common::{eventually, run_node_script, start_instances};
use std::{path::Path, time::Duration};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Node 20+ and `npm ci` in tests/lemmy-js"]
async fn lemmy_js_client_works_against_two_instances() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tests/lemmy-js/node_modules/lemmy-js-client")
            .is_dir(),
        "lemmy-js-client is not installed: run `npm ci` in tests/lemmy-js"
    );
    let mut instances = start_instances(2).await;
    let b = instances.pop().expect("b");
    let a = instances.pop().expect("a");
    let stdout = run_node_script(
        "tests/lemmy-js/check.mjs",
        &[
            ("GUILD_A", a.base.to_string()),
            ("GUILD_B", b.base.to_string()),
        ],
        Duration::from_secs(120),
    )
    .await;

    // Cross-check in the first instance's own data: the second instance's comment arrived.
    let comment_ap_id = stdout
        .lines()
        .find_map(|line| line.strip_prefix("comment "))
        .expect("the script names its comment")
        .to_string();
    eventually(
        "the comment from the second instance to reach the first",
        || {
            let id = comment_ap_id.clone();
            let a = &a;
            async move { a.comment_by_ap_id(&id).await }
        },
    )
    .await;
    a.stop().await;
    b.stop().await;
}
