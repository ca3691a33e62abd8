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

use common::{eventually, start_instances};
use std::{path::Path, time::Duration};
use tokio::process::Command;

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
    let run = Command::new("node")
        .arg("tests/lemmy-js/check.mjs")
        .current_dir(root)
        .env("GUILD_A", a.base.as_str())
        .env("GUILD_B", b.base.as_str())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the script finishes within two minutes")
        .expect("node runs (Node 20 or later must be on PATH)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}{stderr}");
    assert!(
        output.status.success(),
        "the script failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all steps passed"));

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
