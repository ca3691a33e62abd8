//! The inbox keeps the people, communities and community bans it read for a moment, so that
//! the next activity of a busy peer does not read them again (`db::memo::Recent`). A change
//! made here in that moment must still be seen by the very next activity.

mod common;

use common::{TestInstance, mastodon::MastodonPeer};
use guild::{
    db::models::{Community, Person, Post},
    service::moderation::{BanTerms, ban_from_community, ban_from_site},
};

/// Ann's community "practice", with `count` posts of hers in it.
async fn practice_with_posts(a: &TestInstance, count: usize) -> (Person, Community, Vec<Post>) {
    let ann = a.create_user("ann").await;
    let practice = a
        .create_community("practice", "Leadership practice", Some(&ann))
        .await;
    let mut posts = Vec::new();
    for n in 1..=count {
        let post = a
            .create_post(&ann, &practice, &format!("Practice note {n}"))
            .await;
        posts.push(post);
    }
    (ann, practice, posts)
}

/// Alice's Like number `n` of `post`, sent right after a change made at `changed_at`, while
/// what the inbox read before the change is still kept; returns the answer's status.
async fn like_right_after(
    a: &TestInstance,
    masto: &MastodonPeer,
    post: &Post,
    n: u32,
    changed_at: std::time::Instant,
) -> reqwest::StatusCode {
    let (answer, _) = masto.try_like(&post.ap_id, &a.url("/inbox"), n).await;
    assert!(
        changed_at.elapsed() < guild::db::memo::RECENT_FOR,
        "the check came too late to show anything; the machine was too slow"
    );
    answer
}

/// Alice's row, stored here by her first activity.
async fn stored_alice(a: &TestInstance, masto: &MastodonPeer) -> Person {
    let mut conn = a.conn().await;
    guild::db::people::by_ap_id(&mut conn, masto.actor.as_str())
        .await
        .expect("query")
        .expect("alice stored")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_ban_stops_the_very_next_activity() {
    let a = TestInstance::start().await;
    let masto = MastodonPeer::start().await;
    let root = a.create_admin("root").await;
    let (_, _, posts) = practice_with_posts(&a, 2).await;

    // Alice's Like is taken: her row and the community's are now kept by the inbox.
    masto.like(&posts[0].ap_id, &a.url("/inbox"), 1).await;
    let liked = a.post_by_ap_id(&posts[0].ap_id).await.expect("post");
    assert_eq!(liked.upvotes, 1);

    // Banned from the site, within the moment her row is kept: her next Like is refused.
    let alice = stored_alice(&a, &masto).await;
    let banned_at = std::time::Instant::now();
    ban_from_site(
        &a.data,
        &root,
        &alice,
        true,
        BanTerms {
            reason: Some("spam"),
            expires_at: None,
            remove_content: false,
        },
    )
    .await
    .expect("ban");
    let answer = like_right_after(&a, &masto, &posts[1], 2, banned_at).await;
    assert_eq!(answer.as_u16(), 403, "a banned person's Like");
    let refused = a.post_by_ap_id(&posts[1].ap_id).await.expect("post");
    assert_eq!(refused.upvotes, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_community_ban_and_its_lifting_count_from_the_very_next_activity() {
    let a = TestInstance::start().await;
    let masto = MastodonPeer::start().await;
    let (ann, practice, posts) = practice_with_posts(&a, 3).await;

    // Alice's Like is taken: the community's (empty) list of bans is now kept by the inbox.
    masto.like(&posts[0].ap_id, &a.url("/inbox"), 1).await;
    let alice = stored_alice(&a, &masto).await;
    let terms = || BanTerms {
        reason: Some("off topic"),
        expires_at: None,
        remove_content: false,
    };

    let banned_at = std::time::Instant::now();
    ban_from_community(&a.data, &ann, &practice, &alice, true, terms())
        .await
        .expect("ban");
    let answer = like_right_after(&a, &masto, &posts[1], 2, banned_at).await;
    assert_eq!(answer.as_u16(), 403, "a Like from someone banned here");
    let refused = a.post_by_ap_id(&posts[1].ap_id).await.expect("post");
    assert_eq!(refused.upvotes, 0);

    // The ban (now kept) is lifted: her next Like is taken at once.
    let lifted_at = std::time::Instant::now();
    ban_from_community(&a.data, &ann, &practice, &alice, false, terms())
        .await
        .expect("unban");
    let answer = like_right_after(&a, &masto, &posts[2], 3, lifted_at).await;
    assert!(
        answer.is_success(),
        "a Like after the ban was lifted: {answer}"
    );
    let liked = a.post_by_ap_id(&posts[2].ap_id).await.expect("post");
    assert_eq!(liked.upvotes, 1);
}
