//! What Guild fetches from peers, and where it stops.
//!
//! A reply whose `inReplyTo` chain runs deeper than the fetch limit: Guild stops fetching at
//! the limit (the federation library's count of fetches per incoming activity, set in
//! `federation::config`), refuses the activity, and stores none of the chain. A shorter chain
//! that ends in one of its posts is fetched whole and threaded. (Before the chain was walked
//! in a loop, 16 levels overflowed the stack of a debug build and aborted the server.)
//!
//! A fetched document that PostgreSQL cannot store (a NUL character) is refused with a 4xx.

mod common;

use common::{TestInstance, api::ApiClient, get_activity_json, mastodon::MastodonPeer};
use guild::federation::MAX_FETCHES_PER_ACTIVITY;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_chains_are_fetched_only_to_the_limit() {
    let a = TestInstance::start().await;
    let masto = MastodonPeer::start().await;
    let ann = a.create_user("ann").await;
    let maps = a.create_community("maps", "Maps", Some(&ann)).await;
    let post = a.create_post(&ann, &maps, "Start of a thread").await;
    let ann_json = get_activity_json(&a.url("/u/ann")).await;
    let comments_before = a.count_rows("comments").await;

    // Three times deeper than the limit, ending at a real post: all of it would be fetched
    // and stored without the limit.
    let depth = 3 * MAX_FETCHES_PER_ACTIVITY as usize;
    let first = masto.reply_chain(depth, &post.ap_id, &ann_json);
    let reply = masto.reply_chain(1, &first, &ann_json);
    let status = masto.send_create_of(&reply, &a.url("/inbox")).await;
    let fetches = masto.state().status_fetches;
    println!("a chain of {depth} replies: answered {status} after {fetches} fetches");
    assert!(status.is_client_error(), "answered {status}");
    assert!(
        fetches <= MAX_FETCHES_PER_ACTIVITY + 1,
        "{fetches} fetches for one activity"
    );
    assert_eq!(a.count_rows("comments").await, comments_before);

    // A short chain is fetched whole.
    masto.state().status_fetches = 0;
    let first = masto.reply_chain(3, &post.ap_id, &ann_json);
    let reply = masto.reply_chain(1, &first, &ann_json);
    let status = masto.send_create_of(&reply, &a.url("/inbox")).await;
    assert!(status.is_success(), "answered {status}");
    assert_eq!(a.count_rows("comments").await, comments_before + 4);
    assert!(a.comment_by_ap_id(&reply).await.is_some());
    masto.stop();
    a.stop().await;
}

/// A fetched document with a NUL character (PostgreSQL text cannot hold one) is refused
/// cleanly, not with a 500 from a failed insert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetched_document_with_a_nul_character_is_refused() {
    let a = TestInstance::start().await;
    let masto = MastodonPeer::start().await;
    let ann = ApiClient::register(&a, "ann").await;
    masto.state().display_name = Some("Alice\u{0}Microblog".into());
    let people_before = a.count_rows("people").await;
    let answer = ann
        .get(&format!(
            "resolve_object?q={}",
            url::form_urlencoded::byte_serialize(masto.actor.as_str().as_bytes())
                .collect::<String>()
        ))
        .await;
    assert_eq!(answer.status, 404, "{:?}", answer.body);
    assert_eq!(a.count_rows("people").await, people_before);
    masto.stop();
    a.stop().await;
}
